//! Multipart calls, read as a stream: the `__manifest` field (the serialized
//! `{"input": ...}` with file sentinels) first, then one `file:<id>` part per file. The
//! task starts as soon as the manifest is read; each file's bytes go to the task as they
//! arrive (a bounded channel per file, so a task that reads slowly slows the upload
//! down), and a file the task does not read is skipped. When the body ends, files the
//! manifest named but the body lacked are an error, as in the reference.
//!
//! Limits (the reference's defaults): 20 MiB per file, 10 files, 100 fields, 1 MiB per
//! field; the route's Spikard body limit caps the whole body.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use spikard::BodyStream;
use tokio::sync::mpsc;

use crate::envelope::ProtocolError;
use crate::files::{sentinels, FileError, FileMeta, Files, InputFile};
use crate::registry::Input;
use crate::serializer::{parse, Value};

/// Per-part limits of a multipart call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    pub file_size: u64,
    pub files: usize,
    pub fields: usize,
    pub field_size: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            file_size: 20 * 1024 * 1024,
            files: 10,
            fields: 100,
            field_size: 1024 * 1024,
        }
    }
}

/// Chunks a file channel holds before the upload waits for the task to read.
const FILE_CHANNEL_CHUNKS: usize = 4;

type Sender = mpsc::Sender<Result<Bytes, FileError>>;

/// What the upload still has to deliver once the task started: completes when the body
/// is read to its end (or failed).
pub type Finalize = BoxFuture<'static, Result<(), ProtocolError>>;

fn invalid() -> ProtocolError {
    ProtocolError::new(400, "Invalid multipart payload", "INVALID_MULTIPART")
}

fn missing_manifest() -> ProtocolError {
    ProtocolError::new(400, "Missing manifest", "MISSING_MANIFEST")
}

/// A multer failure: the body's own error (Spikard's limit, a stall) when it is one.
fn from_multer(err: multer::Error) -> ProtocolError {
    if let multer::Error::StreamReadFailed(inner) = &err {
        if let Some(spikard) = inner.downcast_ref::<spikard_http::SpikardError>() {
            return ProtocolError::from_body_error(&spikard::Error(spikard.clone()));
        }
    }
    match err {
        multer::Error::FieldSizeExceeded { .. } => ProtocolError::payload_too_large("Field limit exceeded"),
        multer::Error::StreamSizeExceeded { .. } => ProtocolError::payload_too_large("Payload too large"),
        _ => invalid(),
    }
}

/// Read a field's text, at most `limit` bytes.
async fn read_field(field: &mut multer::Field<'static>, limit: usize) -> Result<Bytes, ProtocolError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(from_multer)? {
        if buf.len() + chunk.len() > limit {
            return Err(ProtocolError::payload_too_large("Field limit exceeded"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Start reading a multipart body: the task's input (its files still arriving) and the
/// rest of the upload, to be driven alongside the task.
pub async fn start(
    body: BodyStream,
    content_type: &str,
    limits: MultipartLimits,
) -> Result<(Input, Finalize), ProtocolError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| invalid())?;
    let mut multipart = multer::Multipart::new(body, boundary);
    let mut fields = 0usize;
    let manifest = loop {
        let Some(mut field) = multipart.next_field().await.map_err(from_multer)? else {
            return Err(missing_manifest());
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "__manifest" {
            break read_field(&mut field, limits.field_size).await?;
        }
        if name.starts_with("file:") || field.file_name().is_some() {
            // The reference would hold such a file until the manifest names it; the clients
            // always send the manifest first, so this server asks for that order.
            return Err(ProtocolError::new(
                400,
                "The manifest must come before the files",
                "INVALID_MULTIPART",
            ));
        }
        fields += 1;
        if fields > limits.fields {
            return Err(ProtocolError::payload_too_large("Fields limit exceeded"));
        }
        read_field(&mut field, limits.field_size).await?;
    };
    let manifest = parse(&manifest).map_err(|_| ProtocolError::new(400, "Invalid manifest", "INVALID_MULTIPART"))?;
    let Value::Object(mut manifest) = manifest else {
        return Err(missing_manifest());
    };
    let value = manifest.shift_remove("input").unwrap_or(Value::Undefined);
    let mut files = Files::default();
    let mut senders: HashMap<String, (Sender, bool)> = HashMap::new();
    for (id, meta) in sentinels(&value) {
        if senders.contains_key(&id) {
            continue;
        }
        if senders.len() >= limits.files {
            return Err(ProtocolError::payload_too_large("Files limit exceeded"));
        }
        let (tx, rx) = mpsc::channel(FILE_CHANNEL_CHUNKS);
        files.insert(InputFile::new(id.clone(), FileMeta::from_value(meta.as_ref()), rx));
        senders.insert(id, (tx, false));
    }
    let finalize = Box::pin(deliver(multipart, senders, limits, fields));
    Ok((
        Input {
            value,
            files,
            raw: None,
        },
        finalize,
    ))
}

/// Tell every file still being read why the upload failed (without waiting on a task
/// that is not reading), and fail.
async fn fail(senders: &HashMap<String, (Sender, bool)>, err: ProtocolError) -> Result<(), ProtocolError> {
    for (tx, _) in senders.values() {
        let _ = tx.try_send(Err(FileError(err.message.clone())));
    }
    Err(err)
}

/// The parts after the manifest: files to their tasks' streams, other fields skipped.
async fn deliver(
    mut multipart: multer::Multipart<'static>,
    mut senders: HashMap<String, (Sender, bool)>,
    limits: MultipartLimits,
    mut fields: usize,
) -> Result<(), ProtocolError> {
    let mut unexpected = 0usize;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return fail(&senders, from_multer(e)).await,
        };
        let name = field.name().unwrap_or_default().to_owned();
        let Some(id) = name.strip_prefix("file:").map(str::to_owned) else {
            fields += 1;
            if fields > limits.fields {
                return fail(&senders, ProtocolError::payload_too_large("Fields limit exceeded")).await;
            }
            if let Err(e) = read_field(&mut field, limits.field_size).await {
                return fail(&senders, e).await;
            }
            continue;
        };
        // A part the manifest did not name still counts against the files limit.
        let target = match senders.get_mut(&id) {
            Some((tx, connected)) => {
                *connected = true;
                Some(tx.clone())
            }
            None => {
                unexpected += 1;
                if senders.len() + unexpected > limits.files {
                    return fail(&senders, ProtocolError::payload_too_large("Files limit exceeded")).await;
                }
                None
            }
        };
        let mut size = 0u64;
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return fail(&senders, from_multer(e)).await,
            };
            size += chunk.len() as u64;
            if size > limits.file_size {
                return fail(&senders, ProtocolError::payload_too_large("File size limit exceeded")).await;
            }
            if let Some(tx) = &target {
                // A task that dropped the file no longer reads it: the rest is skipped.
                let _ = tx.send(Ok(chunk)).await;
            }
        }
        // The file is complete: its stream ends.
        if let Some((tx, _)) = senders.get_mut(&id) {
            let (closed, _) = mpsc::channel(1);
            *tx = closed;
        }
    }
    let mut missing: Vec<&String> = senders.iter().filter(|(_, (_, c))| !c).map(|(id, _)| id).collect();
    missing.sort();
    if let Some(id) = missing.first() {
        let err = ProtocolError::new(500, format!("Missing file part for id {id}"), "MISSING_FILE_PART");
        return fail(&senders, err).await;
    }
    Ok(())
}
