//! Files of a multipart call, streamed to the task as their parts arrive: each is named
//! in the input by a `{"$runnerFile": "File", "id", "meta"}` sentinel, and the task takes
//! it by that id and reads it chunk by chunk (a file it does not read is skipped over).

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use crate::serializer::Value;

/// A file's description from the manifest (`InputFileMeta`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FileMeta {
    pub name: String,
    pub mime_type: Option<String>,
    pub size: Option<f64>,
    pub last_modified: Option<f64>,
    pub extra: Option<Value>,
}

impl FileMeta {
    /// Read the `meta` of a sentinel (name `upload` when it has none, as the reference does).
    pub fn from_value(meta: Option<&Value>) -> Self {
        let field = |k: &str| meta.and_then(|m| m.get(k));
        Self {
            name: field("name").and_then(Value::as_str).unwrap_or("upload").to_owned(),
            mime_type: field("type").and_then(Value::as_str).map(str::to_owned),
            size: field("size").and_then(Value::as_f64),
            last_modified: field("lastModified").and_then(Value::as_f64),
            extra: field("extra").cloned(),
        }
    }
}

/// Why reading an uploaded file failed (the multipart body broke or hit a limit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// One uploaded file: its id and meta, and its bytes as a stream.
#[derive(Debug)]
pub struct InputFile {
    pub id: String,
    pub meta: FileMeta,
    chunks: mpsc::Receiver<Result<Bytes, FileError>>,
}

impl InputFile {
    pub(crate) fn new(id: String, meta: FileMeta, chunks: mpsc::Receiver<Result<Bytes, FileError>>) -> Self {
        Self { id, meta, chunks }
    }

    /// Read the whole file (for small files; large ones are better read as a stream).
    pub async fn bytes(mut self) -> Result<Bytes, FileError> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = self.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(buf.freeze())
    }
}

impl Stream for InputFile {
    type Item = Result<Bytes, FileError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.chunks.poll_recv(cx)
    }
}

/// The files of one call, by id.
#[derive(Debug, Default)]
pub struct Files(HashMap<String, InputFile>);

impl Files {
    pub(crate) fn insert(&mut self, file: InputFile) {
        self.0.insert(file.id.clone(), file);
    }

    /// Take a file by the id of its sentinel.
    pub fn take(&mut self, id: &str) -> Option<InputFile> {
        self.0.remove(id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids of the files not taken yet, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.0.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// The `(id, meta)` of every file sentinel in a value, in document order.
pub fn sentinels(value: &Value) -> Vec<(String, Option<Value>)> {
    fn walk(value: &Value, found: &mut Vec<(String, Option<Value>)>) {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(marker)), Some(Value::String(id))) = (map.get("$runnerFile"), map.get("id"))
                {
                    if marker == "File" {
                        found.push((id.clone(), map.get("meta").cloned()));
                        return;
                    }
                }
                map.values().for_each(|v| walk(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(value, &mut found);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serializer::parse;

    #[test]
    fn sentinels_are_found_anywhere_in_the_input() {
        let input = parse(
            br#"{"note":"x","files":[{"$runnerFile":"File","id":"F1","meta":{"name":"a.txt","type":"text/plain"}},
                {"$runnerFile":"File","id":"F2"}],"nested":{"f":{"$runnerFile":"File","id":"F3","meta":{"size":3}}}}"#,
        )
        .unwrap();
        let found = sentinels(&input);
        let ids: Vec<_> = found.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["F1", "F2", "F3"]);
        let meta = FileMeta::from_value(found[0].1.as_ref());
        assert_eq!(
            (meta.name.as_str(), meta.mime_type.as_deref()),
            ("a.txt", Some("text/plain"))
        );
        assert_eq!(FileMeta::from_value(None).name, "upload");
        assert_eq!(FileMeta::from_value(found[2].1.as_ref()).size, Some(3.0));
    }

    #[tokio::test]
    async fn a_file_streams_its_chunks() {
        let (tx, rx) = mpsc::channel(2);
        let file = InputFile::new("F1".into(), FileMeta::default(), rx);
        tokio::spawn(async move {
            tx.send(Ok(Bytes::from("ab"))).await.unwrap();
            tx.send(Ok(Bytes::from("cd"))).await.unwrap();
        });
        assert_eq!(file.bytes().await.unwrap(), "abcd");
    }
}
