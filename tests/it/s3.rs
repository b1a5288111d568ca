//! The S3 blob store against a real S3-compatible server (Garage, started
//! by tests/env/with-services): streaming in and out, large files in
//! parts, limits, and `bilet blobs migrate` from the data folder to the
//! bucket, after which a node on the bucket serves the old attachments.

use bilet::blobs::{BlobError, BlobReader, BlobStore, FsBlobStore, S3BlobStore};
use bilet::config::{BlobBackend, S3Config};
use bilet::service::blob_migrate;
use reqwest::StatusCode;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::io::AsyncReadExt;

use crate::harness::{Form, TestApp, fixtures};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by tests/env/with-services"))
}

/// The test bucket, under a prefix of the test's own (tests share it).
pub fn bucket(prefix: &str) -> S3Config {
    S3Config {
        endpoint: env("TEST_S3_ENDPOINT"),
        region: env("TEST_S3_REGION"),
        bucket: env("TEST_S3_BUCKET"),
        prefix: format!("{prefix}-{}/", uuid::Uuid::new_v4()),
        access_key_id: env("TEST_S3_KEY_ID"),
        secret_access_key: Some(SecretString::from(env("TEST_S3_SECRET"))),
    }
}

fn reader(bytes: Vec<u8>) -> BlobReader<'static> {
    Box::pin(std::io::Cursor::new(bytes))
}

async fn read_all(store: &dyn BlobStore, sha: &str) -> Vec<u8> {
    let mut back = Vec::new();
    store
        .open(sha)
        .await
        .expect("open")
        .read_to_end(&mut back)
        .await
        .expect("read");
    back
}

fn hex_sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_bucket_keeps_small_and_large_files_and_refuses_oversized_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let store = S3BlobStore::new(&bucket("store"), dir.path()).expect("store");

    let small = "traceroute to 10.0.0.1 — потеря пакетов\n"
        .as_bytes()
        .to_vec();
    let a = store.put(reader(small.clone()), 1024).await.expect("put");
    assert_eq!(a.sha256, hex_sha(&small));
    assert_eq!(a.size, small.len() as u64);
    assert!(store.exists(&a.sha256).await.expect("exists"));
    assert_eq!(read_all(&store, &a.sha256).await, small);
    let again = store.put(reader(small.clone()), 1024).await.expect("again");
    assert_eq!(again, a, "the same content is the same blob");

    // 20 MiB goes up in parts (8 MiB each) and comes back byte for byte.
    let large: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let b = store
        .put(reader(large.clone()), 32 * 1024 * 1024)
        .await
        .expect("large put");
    assert_eq!(b.sha256, hex_sha(&large));
    let back = read_all(&store, &b.sha256).await;
    assert_eq!(back.len(), large.len());
    assert!(back == large, "the large file reads back unchanged");

    let err = store
        .put(reader(vec![7u8; 4096]), 1000)
        .await
        .expect_err("too large");
    assert!(matches!(err, BlobError::TooLarge(1000)), "{err}");
    assert!(!store.exists(&hex_sha(&[7u8; 4096])).await.expect("exists"));
    let spooled = std::fs::read_dir(dir.path().join("tmp/blobs"))
        .expect("spool")
        .count();
    assert_eq!(spooled, 0, "nothing is left in the local spool");

    store.delete(&a.sha256).await.expect("delete");
    assert!(!store.exists(&a.sha256).await.expect("exists"));
    assert!(matches!(
        store.open(&a.sha256).await,
        Err(BlobError::Missing)
    ));
    store
        .delete(&a.sha256)
        .await
        .expect("deleting twice is fine");
    assert!(matches!(
        store.open("../../secrets.toml").await,
        Err(BlobError::Missing)
    ));
}

#[sqlx::test]
async fn migrating_to_the_bucket_moves_every_file_and_a_node_on_it_serves_them(db: PgPool) {
    let s3 = bucket("migrate");
    let folder_node = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = folder_node.another_browser();
    anna.register("anna@example.com", "Anna", "correct horse battery")
        .await;
    let shot = b"\x89PNG\r\n\x1a\n not really a picture".to_vec();
    let res = anna
        .post_multipart(
            "/portal/tickets",
            Form::new()
                .text("topic", &format!("d-{tech}"))
                .text("subject", "Disk full")
                .text("body", "df -h says 100%")
                .text("confirm_new", "1")
                .file("files", "df.txt", b"/dev/sda1 100%\n")
                .file("files", "screen.png", &shot),
        )
        .await;
    assert!(res.status().is_redirection(), "filed: {}", res.status());
    let files: Vec<(String, String)> =
        sqlx::query_as("select id::text, blob_sha256 from attachments order by filename")
            .fetch_all(&db)
            .await
            .expect("attachments");
    assert_eq!(files.len(), 2);

    let folder = FsBlobStore::new(&folder_node.state.config.data_dir).expect("folder");
    let spool = tempfile::tempdir().expect("spool");
    let bucket_store = S3BlobStore::new(&s3, spool.path()).expect("bucket");
    let done = blob_migrate::migrate(&db, &folder, &bucket_store)
        .await
        .expect("migrate");
    assert_eq!((done.copied, done.already_there), (2, 0));
    assert!(done.missing.is_empty());
    let again = blob_migrate::migrate(&db, &folder, &bucket_store)
        .await
        .expect("again");
    assert_eq!(
        (again.copied, again.already_there),
        (0, 2),
        "a rerun copies nothing"
    );

    // A node with another (empty) data folder, on the bucket.
    let bucket_node = TestApp::spawn_with(db.clone(), |c| {
        c.blobs.store = BlobBackend::S3;
        c.blobs.s3 = s3.clone();
    })
    .await;
    let anna_there = bucket_node.another_browser();
    anna_there
        .login("anna@example.com", "correct horse battery")
        .await;
    let png = files
        .iter()
        .find(|(_, sha)| *sha == hex_sha(&shot))
        .expect("png");
    let res = anna_there.get(&format!("/attachments/{}", png.0)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), shot);

    // New files on that node land in the bucket.
    let number: i64 = sqlx::query_scalar("select number from tickets")
        .fetch_one(&db)
        .await
        .expect("number");
    let res = anna_there
        .post_multipart(
            &format!("/portal/tickets/{number}/reply"),
            Form::new().text("body", "After the cleanup").file(
                "files",
                "df-after.txt",
                b"/dev/sda1 41%\n",
            ),
        )
        .await;
    assert!(res.status().is_redirection(), "replied: {}", res.status());
    assert!(
        bucket_store
            .exists(&hex_sha(b"/dev/sda1 41%\n"))
            .await
            .expect("exists"),
        "the new file is in the bucket"
    );
    assert!(
        !folder
            .exists(&hex_sha(b"/dev/sda1 41%\n"))
            .await
            .expect("exists"),
        "and not in the old folder"
    );

    // A backup of a node on the bucket holds the bucket's files.
    let data = tempfile::tempdir().expect("data");
    let to = data.path().join("backup");
    let secret = std::env::var("TEST_S3_SECRET").expect("secret");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &data.path().join("node").to_string_lossy()])
        .args(["backup", "--to", &to.to_string_lossy()])
        .env("DATABASE_URL", fixtures::url_of(&db).await)
        .env("BILET_LOG__FILTER", "off")
        .env("BILET_BLOBS__STORE", "s3")
        .env("BILET_BLOBS__S3__ENDPOINT", &s3.endpoint)
        .env("BILET_BLOBS__S3__REGION", &s3.region)
        .env("BILET_BLOBS__S3__BUCKET", &s3.bucket)
        .env("BILET_BLOBS__S3__PREFIX", &s3.prefix)
        .env("BILET_BLOBS__S3__ACCESS_KEY_ID", &s3.access_key_id)
        .env("BILET_BLOBS__S3__SECRET_ACCESS_KEY", &secret)
        .output()
        .await
        .expect("bilet backup");
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = std::fs::read(to.join("blobs").join(hex_sha(b"/dev/sda1 41%\n")))
        .expect("the bucket's new file is in the backup");
    assert_eq!(copied, b"/dev/sda1 41%\n");
}
