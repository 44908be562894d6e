//! HTTPS served by gatehouse itself (`[http] tls_cert_file` and `tls_key_file`, PEM).
//! The certificate is held behind a resolver that can be swapped: SIGHUP re-reads both
//! files and new connections get the new pair; connections already open keep theirs. A
//! pair that does not load (missing file, key not matching the certificate) is logged and
//! the old one stays, so a botched renewal cannot take the service down.

use anyhow::Context;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;

/// The certificate and key files, and the pair loaded from them last.
#[derive(Debug)]
pub struct Certificates {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Load the pair; an error here stops start-up.
    pub fn load(cert_file: &Path, key_file: &Path) -> anyhow::Result<Arc<Self>> {
        let pair = read_pair(cert_file, key_file)?;
        Ok(Arc::new(Self {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            current: RwLock::new(Arc::new(pair)),
        }))
    }

    /// Re-read both files; on success new connections use the new pair.
    pub fn reload(&self) -> anyhow::Result<()> {
        let pair = read_pair(&self.cert_file, &self.key_file)?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(pair);
        Ok(())
    }

    /// The acceptor for the listener: HTTP/1.1 only (as the server loop speaks), with
    /// whatever pair is current at each handshake.
    pub fn acceptor(self: &Arc<Self>) -> anyhow::Result<TlsAcceptor> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        )
    }
}

fn read_pair(cert_file: &Path, key_file: &Path) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("cannot read certificates from {}", cert_file.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "{} holds no certificate",
        cert_file.display()
    );
    let key = PrivateKeyDer::from_pem_file(key_file)
        .with_context(|| format!("cannot read a private key from {}", key_file.display()))?;
    let signing_key = any_supported_type(&key)
        .with_context(|| format!("unsupported private key in {}", key_file.display()))?;
    let pair = CertifiedKey::new(chain, signing_key);
    // A key that does not belong to the certificate would fail every handshake.
    pair.keys_match().with_context(|| {
        format!(
            "the key in {} does not match the certificate in {}",
            key_file.display(),
            cert_file.display()
        )
    })?;
    Ok(pair)
}

/// Reload `certificates` on every SIGHUP, for as long as the process runs.
pub fn reload_on_sighup(certificates: Arc<Certificates>) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match certificates.reload() {
                    Ok(()) => tracing::info!(
                        cert_file = %certificates.cert_file.display(),
                        "TLS certificate reloaded"
                    ),
                    Err(e) => tracing::error!(
                        error = format!("{e:#}"),
                        "TLS certificate not reloaded; the previous one stays in use"
                    ),
                }
            }
        });
    }
    #[cfg(not(unix))]
    drop(certificates);
    Ok(())
}
