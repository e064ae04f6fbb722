//! What an SSO login yields — the access token with its refresh token and the OIDC
//! client registration that can refresh it — and the pure rules for when each is
//! still good. Every rule takes `now`, so the windows are tested at fixed instants.

use time::{Duration, OffsetDateTime};

use crate::secret::Secret;

/// A token is used only while more than this is left (SPEC §3 step 2).
pub const TOKEN_SKEW: Duration = Duration::minutes(5);
/// A registration is reused only with at least this left (aws-cli's rule, §4.4).
pub const REGISTRATION_MARGIN: Duration = Duration::minutes(15);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub start_url: String,
    pub region: String,
    pub access_token: Secret,
    pub expires_at: OffsetDateTime,
    pub refresh_token: Option<Secret>,
    pub registration: Option<Registration>,
}

/// The flow a client registration was made for: the AWS CLI keeps them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Device,
    Pkce,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: OffsetDateTime,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
}

impl Token {
    /// Still good to send to the portal.
    pub fn is_usable(&self, now: OffsetDateTime) -> bool {
        self.expires_at - now > TOKEN_SKEW
    }

    /// The refresh token and a live registration are there (botocore's conditions).
    pub fn refresh_material(&self, now: OffsetDateTime) -> Option<(&Secret, &Registration)> {
        let refresh = self.refresh_token.as_ref().filter(|r| !r.is_empty())?;
        let reg = self.registration.as_ref().filter(|r| r.expires_at > now)?;
        Some((refresh, reg))
    }
}

impl Registration {
    /// Reusable for a new login with `flow`.
    pub fn fits(&self, flow: Flow, now: OffsetDateTime) -> bool {
        let has_code = self.grant_types.iter().any(|g| g == "authorization_code");
        let flow_ok = match flow {
            Flow::Pkce => has_code,
            Flow::Device => !has_code,
        };
        flow_ok && self.expires_at - now >= REGISTRATION_MARGIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00:00 UTC);

    fn reg(expires_at: OffsetDateTime, grants: &[&str]) -> Registration {
        Registration {
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            expires_at,
            scopes: vec![],
            grant_types: grants.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn token(expires_at: OffsetDateTime) -> Token {
        Token {
            start_url: "u".into(),
            region: "r".into(),
            access_token: Secret::new("a"),
            expires_at,
            refresh_token: Some(Secret::new("r")),
            registration: Some(reg(NOW + Duration::days(1), &[])),
        }
    }

    #[test]
    fn debug_output_hides_every_secret() {
        let mut t = token(NOW);
        t.access_token = Secret::new("aoaSECRET1");
        t.refresh_token = Some(Secret::new("aorSECRET2"));
        t.registration.as_mut().unwrap().client_secret = Secret::new("csSECRET3");
        let creds = crate::portal::RoleCredentials {
            access_key_id: "ASIAPUBLIC".into(),
            secret_access_key: Secret::new("skSECRET4"),
            session_token: Secret::new("stSECRET5"),
            expiration: NOW,
            account_id: "111111111111".into(),
        };
        let shown = format!("{t:?} {t:#?} {creds:?} {creds:#?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("ASIAPUBLIC"));
    }

    #[test]
    fn usable_beyond_five_minutes_only() {
        assert!(token(NOW + Duration::minutes(5) + Duration::seconds(1)).is_usable(NOW));
        assert!(!token(NOW + Duration::minutes(5)).is_usable(NOW));
        assert!(!token(NOW - Duration::hours(1)).is_usable(NOW));
    }

    #[test]
    fn refresh_needs_token_and_live_registration() {
        let mut t = token(NOW - Duration::hours(1));
        assert!(t.refresh_material(NOW).is_some());
        t.registration = Some(reg(NOW - Duration::seconds(1), &[]));
        assert!(t.refresh_material(NOW).is_none());
        let mut t = token(NOW);
        t.refresh_token = None;
        assert!(t.refresh_material(NOW).is_none());
        let mut t = token(NOW);
        t.registration = None;
        assert!(t.refresh_material(NOW).is_none());
    }

    #[test]
    fn registration_reuse_by_flow_and_margin() {
        let device = reg(NOW + Duration::minutes(15), &[]);
        assert!(device.fits(Flow::Device, NOW));
        assert!(!device.fits(Flow::Pkce, NOW));
        assert!(!device.fits(Flow::Device, NOW + Duration::seconds(1)));
        let pkce = reg(
            NOW + Duration::days(90),
            &["authorization_code", "refresh_token"],
        );
        assert!(pkce.fits(Flow::Pkce, NOW) && !pkce.fits(Flow::Device, NOW));
    }
}
