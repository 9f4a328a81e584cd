//! Writing rows to one data file, as JSON Lines or as Parquet.

use super::{Format, Kind, schema};
use crate::ReplayError;
use arrow_json::reader::{Decoder, ReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per Parquet record batch.
const BATCH_ROWS: usize = 8192;

/// An open data file.
pub struct Sink<R: Serialize> {
    path: PathBuf,
    inner: Inner<R>,
}

enum Inner<R> {
    Jsonl(BufWriter<File>),
    Parquet { writer: Box<ArrowWriter<File>>, decoder: Box<Decoder>, pending: Vec<R> },
}

fn parquet_err(e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Parquet(e.to_string())
}

impl<R: Serialize> Sink<R> {
    /// Creates `path` for rows of `kind`.
    pub fn create(path: &Path, format: Format, kind: Kind) -> Result<Self, ReplayError> {
        let file = File::create(path).map_err(|e| ReplayError::io(path, e))?;
        let inner = match format {
            Format::Jsonl => Inner::Jsonl(BufWriter::with_capacity(1 << 20, file)),
            Format::Parquet => {
                let schema = Arc::new(schema::schema(kind));
                let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
                let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(parquet_err)?;
                let decoder =
                    ReaderBuilder::new(schema).with_batch_size(BATCH_ROWS).build_decoder().map_err(parquet_err)?;
                Inner::Parquet {
                    writer: Box::new(writer),
                    decoder: Box::new(decoder),
                    pending: Vec::with_capacity(BATCH_ROWS),
                }
            }
        };
        Ok(Self { path: path.to_owned(), inner })
    }

    /// Appends one row.
    pub fn push(&mut self, row: R) -> Result<(), ReplayError> {
        match &mut self.inner {
            Inner::Jsonl(w) => {
                let io = |e| ReplayError::io(&self.path, e);
                serde_json::to_writer(&mut *w, &row).map_err(|e| io(e.into()))?;
                w.write_all(b"\n").map_err(io)
            }
            Inner::Parquet { writer, decoder, pending } => {
                pending.push(row);
                if pending.len() == BATCH_ROWS {
                    write_batch(writer, decoder, pending)?;
                }
                Ok(())
            }
        }
    }

    /// Flushes and closes the file; returns its path.
    pub fn finish(self) -> Result<PathBuf, ReplayError> {
        match self.inner {
            Inner::Jsonl(mut w) => w.flush().map_err(|e| ReplayError::io(&self.path, e))?,
            Inner::Parquet { mut writer, mut decoder, mut pending } => {
                write_batch(&mut writer, &mut decoder, &mut pending)?;
                writer.close().map_err(parquet_err)?;
            }
        }
        Ok(self.path)
    }
}

fn write_batch<R: Serialize>(
    writer: &mut ArrowWriter<File>,
    decoder: &mut Decoder,
    pending: &mut Vec<R>,
) -> Result<(), ReplayError> {
    if pending.is_empty() {
        return Ok(());
    }
    decoder.serialize(pending).map_err(parquet_err)?;
    pending.clear();
    if let Some(batch) = decoder.flush().map_err(parquet_err)? {
        writer.write(&batch).map_err(parquet_err)?;
    }
    Ok(())
}
