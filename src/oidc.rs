//! The SSO OIDC API (reference §2): RegisterClient, StartDeviceAuthorization and
//! CreateToken, unsigned JSON over POST. Login state (`authorization_pending`,
//! `slow_down`, …) arrives as 400 answers and is returned as `Grant` outcomes,
//! not as errors.

use serde::Deserialize;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::http::{Answer, Http, Method, Request, Retry, aws_error, decode};
use crate::secret::Secret;
use crate::token::{Flow, Registration};

pub struct Oidc<'h> {
    pub http: &'h Http<'h>,
    /// Base URL, no trailing slash.
    pub base: String,
}

#[derive(Debug)]
pub struct DeviceAuthorization {
    pub device_code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: Option<i64>,
}

/// What CreateToken gave.
#[derive(Debug)]
pub struct Issued {
    pub access_token: Secret,
    pub expires_in: i64,
    pub refresh_token: Option<Secret>,
}

/// The outcome of one CreateToken call.
#[derive(Debug)]
pub enum Grant {
    Token(Issued),
    Pending,
    SlowDown,
    Expired,
    Denied,
    /// `invalid_grant`: the code or refresh token is no longer good.
    InvalidGrant,
    /// `invalid_client`: the registration is no longer good.
    InvalidClient,
}

/// How a token is asked for.
pub enum GrantRequest<'a> {
    DeviceCode(&'a Secret),
    RefreshToken(&'a Secret),
    AuthorizationCode {
        code: &'a Secret,
        verifier: &'a Secret,
        redirect_uri: &'a str,
    },
}

/// The longest access token lifetime accepted (`expiresIn`); AWS issues hours.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::days(366);
/// The longest device code lifetime accepted (`expiresIn` of a device
/// authorization); AWS issues 10 minutes.
pub const MAX_DEVICE_CODE_LIFETIME: Duration = Duration::minutes(30);

/// The scope PKCE registrations default to (it yields refreshable tokens).
pub const DEFAULT_SCOPE: &str = "sso:account:access";
/// The redirect URI a PKCE client registers: loopback, no port.
pub const PKCE_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
const PKCE_GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterOut {
    client_id: String,
    client_secret: Secret,
    client_secret_expires_at: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceOut {
    device_code: Secret,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenOut {
    access_token: Secret,
    expires_in: i64,
    refresh_token: Option<Secret>,
}

impl Oidc<'_> {
    fn post(
        &self,
        op: &'static str,
        path: &str,
        body: serde_json::Value,
        retry: Retry,
    ) -> Result<Answer> {
        self.http.send(&Request {
            op,
            method: Method::Post,
            url: format!("{}{path}", self.base),
            bearer: None,
            json: Some(Secret::new(body.to_string())),
            retry,
            secret_query: false,
        })
    }

    /// RegisterClient. Device flow, as botocore does it: scopes only when configured,
    /// no grant types or redirect URIs. PKCE, as the AWS CLI v2 does it: the
    /// `authorization_code` and `refresh_token` grants, the loopback redirect URI
    /// without a port, the start URL as issuer, and scopes defaulting to
    /// `sso:account:access`.
    pub fn register_client(
        &self,
        client_name: &str,
        start_url: &str,
        scopes: &[String],
        flow: Flow,
        now: OffsetDateTime,
    ) -> Result<Registration> {
        let mut body = json!({"clientName": client_name, "clientType": "public"});
        let (scopes, grant_types) = match flow {
            Flow::Device => (scopes.to_vec(), Vec::new()),
            Flow::Pkce => {
                let scopes = if scopes.is_empty() {
                    vec![DEFAULT_SCOPE.to_string()]
                } else {
                    scopes.to_vec()
                };
                body["grantTypes"] = json!(PKCE_GRANTS);
                body["redirectUris"] = json!([PKCE_REDIRECT_URI]);
                body["issuerUrl"] = json!(start_url);
                (scopes, PKCE_GRANTS.iter().map(|g| g.to_string()).collect())
            }
        };
        if !scopes.is_empty() {
            body["scopes"] = json!(scopes);
        }
        let a = self.post("RegisterClient", "/client/register", body, Retry::Standard)?;
        let (client_id, client_secret, expires_at) = register_answer(&a, now)?;
        Ok(Registration {
            client_id,
            client_secret,
            expires_at,
            scopes,
            grant_types,
        })
    }

    pub fn start_device_authorization(
        &self,
        reg: &Registration,
        start_url: &str,
    ) -> Result<Result<DeviceAuthorization, Grant>> {
        let body = json!({
            "clientId": reg.client_id,
            "clientSecret": reg.client_secret.expose(),
            "startUrl": start_url,
        });
        let a = self.post(
            "StartDeviceAuthorization",
            "/device_authorization",
            body,
            Retry::Standard,
        )?;
        device_answer(&a)
    }

    /// One CreateToken call. Login-state answers come back as `Grant`s; anything
    /// else that is not a token is an error.
    pub fn create_token(&self, reg: &Registration, grant: GrantRequest<'_>) -> Result<Grant> {
        let mut body = json!({
            "clientId": reg.client_id,
            "clientSecret": reg.client_secret.expose(),
        });
        let retry = match grant {
            GrantRequest::DeviceCode(code) => {
                body["grantType"] = json!("urn:ietf:params:oauth:grant-type:device_code");
                body["deviceCode"] = json!(code.expose());
                Retry::Polling
            }
            GrantRequest::RefreshToken(token) => {
                body["grantType"] = json!("refresh_token");
                body["refreshToken"] = json!(token.expose());
                Retry::RefreshGrant
            }
            GrantRequest::AuthorizationCode {
                code,
                verifier,
                redirect_uri,
            } => {
                body["grantType"] = json!("authorization_code");
                body["code"] = json!(code.expose());
                body["codeVerifier"] = json!(verifier.expose());
                body["redirectUri"] = json!(redirect_uri);
                // A code is single-use: replay only what cannot have reached the server.
                Retry::RefreshGrant
            }
        };
        let a = self.post("CreateToken", "/token", body, retry)?;
        token_answer(&a)
    }
}

// What the answers mean: pure functions of an `Answer`, so every shape a server
// can send is tested without a network (and property-tested for panics).

/// RegisterClient's answer: the client id and secret, and until when they hold
/// (`clientSecretExpiresAt`, epoch seconds, which must lie after `now`).
pub fn register_answer(
    a: &Answer,
    now: OffsetDateTime,
) -> Result<(String, Secret, OffsetDateTime)> {
    let out: RegisterOut = decode("RegisterClient", a)?;
    let expires_at = crate::timestamp::from_epoch_seconds(out.client_secret_expires_at)
        .filter(|t| *t > now)
        .ok_or_else(|| {
            out_of_range(
                "RegisterClient",
                a,
                "clientSecretExpiresAt",
                out.client_secret_expires_at,
            )
        })?;
    Ok((out.client_id, out.client_secret, expires_at))
}

/// StartDeviceAuthorization's answer; a 401 means the registration is no longer
/// good (`Grant::InvalidClient`). `expiresIn` must lie within an hour.
pub fn device_answer(a: &Answer) -> Result<Result<DeviceAuthorization, Grant>> {
    if a.status == 401 {
        return Ok(Err(Grant::InvalidClient));
    }
    let out: DeviceOut = decode("StartDeviceAuthorization", a)?;
    if !(1..=MAX_DEVICE_CODE_LIFETIME.whole_seconds()).contains(&out.expires_in) {
        return Err(out_of_range(
            "StartDeviceAuthorization",
            a,
            "expiresIn",
            out.expires_in,
        ));
    }
    Ok(Ok(DeviceAuthorization {
        device_code: out.device_code,
        user_code: out.user_code,
        verification_uri: out.verification_uri,
        verification_uri_complete: out.verification_uri_complete,
        expires_in: out.expires_in,
        interval: out.interval,
    }))
}

/// CreateToken's answer: a token (with `expiresIn` within a year), a login state,
/// or an error.
pub fn token_answer(a: &Answer) -> Result<Grant> {
    if a.is_success() {
        let out: TokenOut = decode("CreateToken", a)?;
        if !(1..=MAX_TOKEN_LIFETIME.whole_seconds()).contains(&out.expires_in) {
            return Err(out_of_range("CreateToken", a, "expiresIn", out.expires_in));
        }
        // Tokens go into an HTTP header and the shared token file: a value that
        // could break either is refused here, by name.
        let refresh = out.refresh_token.as_ref().filter(|t| !t.is_empty());
        for (field, value) in [
            ("accessToken", Some(&out.access_token)),
            ("refreshToken", refresh),
        ] {
            if let Some(v) = value
                && !crate::portal::valid_credential_value(v.expose())
            {
                return Err(Error::BadResponse {
                    op: "CreateToken",
                    host: a.host.clone(),
                    detail: format!(
                        "its {field} is not a token (empty, too long, or with a character other than printable ASCII without quotes, backslashes or spaces)"
                    ),
                });
            }
        }
        return Ok(Grant::Token(Issued {
            access_token: out.access_token,
            expires_in: out.expires_in,
            refresh_token: out.refresh_token.filter(|t| !t.is_empty()),
        }));
    }
    Ok(match oauth_error(a).as_deref() {
        Some("authorization_pending") => Grant::Pending,
        Some("slow_down") => Grant::SlowDown,
        Some("expired_token") => Grant::Expired,
        Some("access_denied") => Grant::Denied,
        Some("invalid_grant") => Grant::InvalidGrant,
        Some("invalid_client") => Grant::InvalidClient,
        _ => return Err(aws_error("CreateToken", a)),
    })
}

/// A number in an answer outside what the API can mean.
fn out_of_range(op: &'static str, a: &Answer, field: &str, value: i64) -> Error {
    Error::BadResponse {
        op,
        host: a.host.clone(),
        detail: format!("{field} = {value} is out of range"),
    }
}

/// The OAuth `error` of an OIDC answer: from `x-amzn-errortype` first (as botocore
/// classifies), then from the body.
fn oauth_error(a: &Answer) -> Option<String> {
    let from_type = a.error_type.as_deref().and_then(|t| {
        Some(match t {
            "AuthorizationPendingException" => "authorization_pending",
            "SlowDownException" => "slow_down",
            "ExpiredTokenException" => "expired_token",
            "AccessDeniedException" => "access_denied",
            "InvalidGrantException" => "invalid_grant",
            "InvalidClientException" => "invalid_client",
            _ => return None,
        })
    });
    if let Some(e) = from_type {
        return Some(e.to_string());
    }
    if a.error_type.is_some() {
        return None;
    }
    let body: serde_json::Value = serde_json::from_str(&a.body).ok()?;
    body.get("error")?.as_str().map(str::to_string)
}

impl Grant {
    pub fn into_error(self, op: &'static str, host: &str) -> Error {
        let (code, status) = match self {
            Grant::Token(_) => unreachable!("a token is not an error"),
            Grant::Pending => ("authorization_pending", 400),
            Grant::SlowDown => ("slow_down", 400),
            Grant::Expired => ("expired_token", 400),
            Grant::Denied => ("access_denied", 400),
            Grant::InvalidGrant => ("invalid_grant", 400),
            Grant::InvalidClient => ("invalid_client", 401),
        };
        Error::Aws {
            op,
            host: host.to_string(),
            status,
            code: code.to_string(),
            message: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, error_type: Option<&str>, body: &str) -> Answer {
        Answer {
            status,
            error_type: error_type.map(str::to_string),
            retry_after: None,
            date: None,
            body: body.into(),
            host: "h".into(),
        }
    }

    #[test]
    fn classifies_by_header_then_body() {
        let a = answer(400, Some("AuthorizationPendingException"), "{}");
        assert_eq!(oauth_error(&a).as_deref(), Some("authorization_pending"));
        let a = answer(400, None, r#"{"error":"slow_down"}"#);
        assert_eq!(oauth_error(&a).as_deref(), Some("slow_down"));
        // The header wins over a body that says otherwise.
        let a = answer(
            400,
            Some("ExpiredTokenException"),
            r#"{"error":"authorization_pending"}"#,
        );
        assert_eq!(oauth_error(&a).as_deref(), Some("expired_token"));
        let a = answer(
            400,
            Some("InvalidRequestException"),
            r#"{"error":"invalid_request"}"#,
        );
        assert_eq!(oauth_error(&a), None);
    }
}
