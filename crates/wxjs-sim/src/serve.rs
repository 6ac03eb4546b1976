//! How the simulator is served: the shared policy of `wxjs-http` (connection bound, timeouts,
//! body limit, JSON errors), with the simulator's own choices — uploads up to the platform's
//! media limits, and only the machine's own Host names (its control API answers secrets).

pub use wxjs_http::DropConnection;

/// The simulator's serving policy: `allowed_hosts` are served besides the machine's names.
#[must_use]
pub fn policy(allowed_hosts: impl IntoIterator<Item = String>) -> wxjs_http::Policy {
    wxjs_http::Policy::default()
        .with_body_limit(crate::routes::BODY_LIMIT)
        .with_hosts(wxjs_http::HostPolicy::local(
            allowed_hosts,
            "add the name with --allow-host",
        ))
}
