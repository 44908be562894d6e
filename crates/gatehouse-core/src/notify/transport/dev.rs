//! The dev transport, the default: each message becomes one JSON line appended to a file
//! (`data/outbox.log`), plus a one-line summary on stdout, so a quick start works with no
//! mail server or SMS account and its codes can be read from the file.

use super::{Accepted, EmailMessage, SendError, SmsMessage};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Appends to one outbox file. Clones share the file and its lock, so an email and an SMS
/// transport made from one `DevTransport` never interleave their lines.
#[derive(Debug, Clone)]
pub struct DevTransport {
    path: Arc<PathBuf>,
    // One append at a time: a line is written whole before the next starts.
    lock: Arc<Mutex<()>>,
}

impl DevTransport {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path: Arc::new(path),
            lock: Arc::new(Mutex::new(())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn send_email(&self, message: &EmailMessage) -> Result<Accepted, SendError> {
        let line = json!({
            "at": written_at(),
            "channel": "email",
            "id": message.id,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
        });
        self.append(&line).await?;
        println!(
            "outbox: email to {} {:?} -> {}",
            message.to,
            message.subject,
            self.path.display()
        );
        Ok(accepted(message.id))
    }

    pub async fn send_sms(&self, message: &SmsMessage) -> Result<Accepted, SendError> {
        let line = json!({
            "at": written_at(),
            "channel": "sms",
            "id": message.id,
            "to": message.to,
            "body": message.body,
        });
        self.append(&line).await?;
        println!("outbox: sms to {} -> {}", message.to, self.path.display());
        Ok(accepted(message.id))
    }

    async fn append(&self, line: &serde_json::Value) -> Result<(), SendError> {
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        // The guard travels into the blocking task: if this future is dropped mid-write,
        // the lock is still held until the line is complete.
        let guard = Arc::clone(&self.lock).lock_owned().await;
        let path = Arc::clone(&self.path);
        let written = tokio::task::spawn_blocking(move || {
            let result = append_line(&path, &bytes);
            drop(guard);
            result
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SendError::transient(
                format!("outbox {}: {e}", self.path.display()),
                None,
            )),
            Err(e) => Err(SendError::transient(format!("outbox write: {e}"), None)),
        }
    }
}

/// Create the parent folders if needed and append `bytes` with one write call.
fn append_line(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)
}

/// When the line was written: a stamp for the reader of the file, not an input to any
/// rule, so it reads the system clock rather than the injected one.
fn written_at() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn accepted(id: uuid::Uuid) -> Accepted {
    Accepted {
        provider: "dev",
        provider_message_id: Some(id.to_string()),
        cost: None,
    }
}
