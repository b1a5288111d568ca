//! `bilet blobs`: where attachment and raw-mail bytes live.

use clap::{Subcommand, ValueEnum};

use crate::blobs::{BlobStore, FsBlobStore, S3BlobStore};
use crate::config::Config;
use crate::service::blob_migrate;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum BlobsCommand {
    /// Copy every stored file to another store (the bucket in [blobs.s3],
    /// or the data folder), checking each; then set `blobs.store` to it
    /// and run this once more. Safe to repeat; the source is left as it is.
    Migrate {
        #[arg(long, value_enum)]
        to: Target,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Target {
    S3,
    Folder,
}

fn s3(config: &Config) -> anyhow::Result<S3BlobStore> {
    let s3 = &config.blobs.s3;
    if s3.bucket.is_empty() || s3.secret_access_key.is_none() {
        anyhow::bail!(
            "set blobs.s3.bucket, access_key_id and secret_access_key (and endpoint for a store other than AWS) first"
        );
    }
    S3BlobStore::new(s3, &config.data_dir)
}

pub async fn run(app: &AppState, command: BlobsCommand) -> anyhow::Result<()> {
    let BlobsCommand::Migrate { to } = command;
    let folder = FsBlobStore::new(&app.config.data_dir)?;
    let bucket = s3(&app.config)?;
    let (from, to): (&dyn BlobStore, &dyn BlobStore) = match to {
        Target::S3 => (&folder, &bucket),
        Target::Folder => (&bucket, &folder),
    };
    let done = blob_migrate::migrate(&app.db, from, to).await?;
    println!(
        "{} copied, {} already there, {} missing in the source",
        done.copied,
        done.already_there,
        done.missing.len()
    );
    for sha in done.missing.iter().take(20) {
        println!("missing: {sha}");
    }
    if !done.missing.is_empty() {
        anyhow::bail!("some files had no bytes in the source; the rest were copied");
    }
    Ok(())
}
