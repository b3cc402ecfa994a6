//! Previews for the details panel: the first MiB of a text object (one ranged GET, never the
//! whole object), or an image (PNG, JPEG, GIF, WebP) of at most [`IMAGE_MAX`], decoded and
//! scaled down on a blocking thread.

use aws_sdk_s3::Client;

use super::download::Object;
use crate::aws::errors::{AwsError, ErrorKind};

/// The most of a text object read for its preview.
pub const TEXT_MAX: u64 = 1024 * 1024;
/// Images larger than this are not previewed.
pub const IMAGE_MAX: u64 = 10 * 1024 * 1024;
/// A previewed image is scaled down to fit a square of this side.
pub const IMAGE_SIDE: u32 = 1024;

/// How an object is previewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewKind {
    Text,
    Image,
}

/// By its content type, else its name's extension; anything not an image is tried as text.
#[must_use]
pub fn preview_kind(key: &str, content_type: Option<&str>) -> PreviewKind {
    let image_type = content_type
        .is_some_and(|t| matches!(t, "image/png" | "image/jpeg" | "image/gif" | "image/webp"));
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let image_ext = matches!(
        ext.as_deref(),
        Some("png" | "jpg" | "jpeg" | "gif" | "webp")
    );
    if image_type || image_ext {
        PreviewKind::Image
    } else {
        PreviewKind::Text
    }
}

/// What the details panel shows.
#[derive(Clone, PartialEq, Eq)]
pub enum Preview {
    /// Text, UTF-8 read lossily: `shown` of `total` bytes.
    Text {
        text: String,
        shown: u64,
        total: u64,
    },
    /// An RGBA image, scaled to fit [`IMAGE_SIDE`].
    Image {
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        /// The original's size in pixels.
        original: (u32, u32),
    },
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text { shown, total, .. } => write!(f, "Text({shown} of {total} bytes)"),
            Self::Image { width, height, .. } => write!(f, "Image({width}×{height})"),
        }
    }
}

/// Reads the preview of `obj` (of `size` bytes) as `kind` says.
pub async fn preview(
    client: &Client,
    obj: Object<'_>,
    size: u64,
    kind: PreviewKind,
) -> Result<Preview, AwsError> {
    match kind {
        PreviewKind::Text => text(client, obj, size).await,
        PreviewKind::Image => image(client, obj, size).await,
    }
}

async fn fetch(
    client: &Client,
    obj: Object<'_>,
    range: Option<String>,
) -> Result<Vec<u8>, AwsError> {
    let out = client
        .get_object()
        .bucket(obj.bucket)
        .key(obj.key)
        .set_version_id(obj.version.map(str::to_owned))
        .set_range(range)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Reading the preview", &e))?;
    let body = out.body.collect().await.map_err(|e| {
        AwsError::new(
            ErrorKind::Unreachable,
            format!("The preview broke off: {e}"),
        )
    })?;
    Ok(body.into_bytes().to_vec())
}

async fn text(client: &Client, obj: Object<'_>, size: u64) -> Result<Preview, AwsError> {
    if size == 0 {
        return Ok(Preview::Text {
            text: String::new(),
            shown: 0,
            total: 0,
        });
    }
    let range = format!("bytes=0-{}", TEXT_MAX.min(size) - 1);
    let mut bytes = fetch(client, obj, Some(range)).await?;
    // A server that ignores the range must not make the panel hold the whole object.
    bytes.truncate(usize::try_from(TEXT_MAX).unwrap_or(usize::MAX));
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            "This looks like a binary file: there is no preview for it",
        ));
    }
    let shown = bytes.len() as u64;
    Ok(Preview::Text {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        shown,
        total: size,
    })
}

async fn image(client: &Client, obj: Object<'_>, size: u64) -> Result<Preview, AwsError> {
    if size > IMAGE_MAX {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            "Images over 10 MB are not previewed: download it to view it",
        ));
    }
    // Bounded even if the object grew since it was listed: a larger one then fails to decode.
    let bytes = fetch(client, obj, Some(format!("bytes=0-{}", IMAGE_MAX - 1))).await?;
    tokio::task::spawn_blocking(move || decode(&bytes))
        .await
        .map_err(|e| AwsError::new(ErrorKind::Other, format!("Decoding stopped: {e}")))?
}

/// Decodes an image with bounded dimensions and memory, scaled down to fit [`IMAGE_SIDE`].
pub fn decode(bytes: &[u8]) -> Result<Preview, AwsError> {
    let bad = |e: &dyn std::fmt::Display| {
        AwsError::new(
            ErrorKind::Invalid,
            format!("The image cannot be shown: {e}"),
        )
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(&e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| bad(&e))?;
    let original = (img.width(), img.height());
    let img = if img.width() > IMAGE_SIDE || img.height() > IMAGE_SIDE {
        img.thumbnail(IMAGE_SIDE, IMAGE_SIDE)
    } else {
        img
    };
    let rgba = img.to_rgba8();
    Ok(Preview::Image {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
        original,
    })
}
