//! The TLS half of `gatehouse healthcheck`, for a server with `http.tls_cert_file` set.
//! The check runs next to the server and reads the same settings, so rather than trust a
//! CA (a self-signed certificate has none, and the name in it need not be the listen
//! address) it accepts exactly the certificate in `tls_cert_file`: the server passes only
//! if it presents the certificate it was configured with, and proves it holds the key.

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

/// `stream` wrapped in TLS that accepts only the leaf certificate of `cert_file`.
pub fn wrap(
    stream: TcpStream,
    addr: SocketAddr,
    cert_file: &Path,
) -> anyhow::Result<StreamOwned<ClientConnection, TcpStream>> {
    let expected = CertificateDer::pem_file_iter(cert_file)
        .and_then(|mut certs| certs.next().transpose())
        .with_context(|| format!("healthcheck: cannot read {}", cert_file.display()))?
        .with_context(|| format!("healthcheck: no certificate in {}", cert_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { expected, provider }))
        .with_no_client_auth();
    let connection = ClientConnection::new(Arc::new(config), ServerName::from(addr.ip()))
        .context("healthcheck: TLS setup")?;
    Ok(StreamOwned::new(connection, stream))
}

/// Accepts one certificate, byte for byte; signatures are checked as usual.
#[derive(Debug)]
struct Pinned {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server presents another certificate than tls_cert_file".to_owned(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
