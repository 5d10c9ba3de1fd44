//! QR codes for invites: shown in a terminal or a window, saved as PNG, and read back
//! from a photo or screenshot.

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::{DeviceError, Field, Result};

fn code(text: &str) -> Result<QrCode> {
    // Medium error correction: survives a slightly blurry phone photo, and an invite
    // still fits a small code.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| {
        DeviceError::Encode {
            what: "a QR code",
            reason: e.to_string(),
        }
    })
}

/// Half-block characters, two modules per character cell, with a quiet zone:
/// readable by a phone pointed at a terminal.
pub fn terminal(text: &str) -> Result<String> {
    Ok(code(text)?
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// The modules as rows of booleans (dark = true), for a UI to paint crisply at any
/// size.
pub fn modules(text: &str) -> Result<(usize, Vec<bool>)> {
    let c = code(text)?;
    Ok((
        c.width(),
        c.to_colors()
            .into_iter()
            .map(|m| m == qrcode::Color::Dark)
            .collect(),
    ))
}

/// A PNG with 8 pixels per module and a quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>> {
    let img = code(text)?
        .render::<Luma<u8>>()
        .module_dimensions(8, 8)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| DeviceError::Encode {
            what: "the PNG image",
            reason: e.to_string(),
        })?;
    Ok(out.into_inner())
}

/// Saves the invite's QR code as a PNG for its owner alone (mode 0600): the picture
/// carries the one-time secret until the invite is used or expires.
pub fn write_png(
    path: &std::path::Path,
    text: &str,
    replace: kintsugi_store::Replace,
) -> Result<()> {
    Ok(kintsugi_store::write_private_file(
        path,
        &png(text)?,
        replace,
    )?)
}

/// Finds and decodes the first QR code in a PNG or JPEG image.
pub fn decode_image(bytes: &[u8]) -> Result<String> {
    let img = image::load_from_memory(bytes)
        .map_err(|_| {
            DeviceError::bad_input(
                Field::Image,
                "the file is not a PNG or JPEG image Kintsugi can read",
            )
        })?
        .to_luma8();
    decode_gray(&img)
}

/// Finds and decodes the first QR code in a greyscale picture: a decoded file, or a
/// camera frame already turned to grey.
pub fn decode_gray(img: &image::GrayImage) -> Result<String> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    });
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(DeviceError::bad_input(
            Field::Image,
            "no QR code was found in the image",
        ));
    }
    let mut last_err = None;
    for g in grids {
        match g.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => last_err = Some(e),
        }
    }
    Err(DeviceError::bad_input(
        Field::Image,
        format!(
            "a QR code was found but could not be read ({})",
            last_err.map(|e| e.to_string()).unwrap_or_default()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_and_garbage_is_refused() {
        let text = "KINTSUGI:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let png = png(text).unwrap();
        assert_eq!(decode_image(&png).unwrap(), text);
        assert!(decode_image(b"not an image").is_err());
        let blank = image::GrayImage::from_pixel(64, 64, Luma([255]));
        let mut out = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut out, ImageFormat::Png).unwrap();
        assert!(decode_image(&out.into_inner()).is_err());
        assert!(terminal(text).unwrap().lines().count() > 10);
    }
}
