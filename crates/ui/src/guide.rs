//! The guidance text comes from the device's view model (one table of stage names,
//! `assets/guide.json` for the rest), so the app and the CLI say the same thing.

pub use kintsugi_device::view::Guide;

pub fn load() -> Guide {
    kintsugi_device::view::guide().clone()
}
