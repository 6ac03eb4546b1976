//! The whole system in this process (`wxjs_dev::start` on port 0), driven as pages and back ends
//! drive it.

mod browser;
mod console;
mod proxy;
mod reset;

use std::fmt;

use wxjs_dev::{Dev, DevOptions, Listeners};

/// The ports of one running system. Shown with `{}`, it is the phone's port (where pages live).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub(crate) phone: u16,
    pub(crate) platform: u16,
    pub(crate) service: u16,
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.phone)
    }
}

/// A running system; [`Running::stop`] stops it (dropping it stops the listeners too).
#[derive(Debug)]
pub(crate) struct Running(Dev);

impl Running {
    pub(crate) async fn stop(self) {
        self.0.stop().await;
    }
}

/// The system in memory on ports of its own, serving `static_dir` (or the demo page).
pub(crate) async fn dev(static_dir: Option<&str>) -> (Running, Ports) {
    dev_with(DevOptions {
        static_dir: static_dir.map(Into::into),
        ..DevOptions::default()
    })
    .await
}

/// The system in memory on ports of its own, with `options`.
pub(crate) async fn dev_with(options: DevOptions) -> (Running, Ports) {
    let dev = wxjs_dev::start(options, Listeners::any_port().await.expect("listeners"))
        .await
        .expect("wxjs dev starts");
    let [phone, platform, service] = dev.urls().addrs.map(|a| a.port());
    (
        Running(dev),
        Ports {
            phone,
            platform,
            service,
        },
    )
}
