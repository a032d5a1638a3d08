//! The contract against the running routes (issue #13): every operation in `GET /api/openapi.json` is called, in
//! success and in refusal, each answer's status is one the document gives for it, and each JSON answer matches the
//! schema the document gives for that status (JSON Schema 2020-12, as OpenAPI 3.1 says); the OpenID Connect
//! provider's endpoints and the product's API included.

use std::collections::BTreeSet;
use std::sync::Mutex;

use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use reqwest::Method;
use serde_json::{json, Value};

use base64::Engine as _;

use crate::oidc;
use crate::product_api::create_key;
use crate::support::{until_stored_status, TestDatabase, Wxgate};

const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36";

/// The document, and which of its operations and statuses the test has seen answered.
struct Contract {
    document: Value,
    seen: Mutex<BTreeSet<(String, String)>>,
}

/// One request of the test: the operation it exercises (method and the document's path template), and how to send it.
struct Call<'a> {
    method: Method,
    template: &'a str,
    path: String,
    token: Option<&'a str>,
    body: Option<Value>,
    /// A file sent as `wx.uploadFile` sends it, in the multipart field `avatar`.
    upload: Option<&'static [u8]>,
    headers: Vec<(&'static str, String)>,
    /// A form body (`application/x-www-form-urlencoded`).
    form: Option<Vec<(&'static str, String)>>,
}

impl<'a> Call<'a> {
    fn new(method: Method, template: &'a str) -> Call<'a> {
        Call {
            method,
            template,
            path: template.to_owned(),
            token: None,
            body: None,
            upload: None,
            headers: Vec::new(),
            form: None,
        }
    }

    fn path(mut self, path: String) -> Call<'a> {
        self.path = path;
        self
    }

    fn token(mut self, token: &'a str) -> Call<'a> {
        self.token = Some(token);
        self
    }

    fn body(mut self, body: Value) -> Call<'a> {
        self.body = Some(body);
        self
    }

    fn upload(mut self, file: &'static [u8]) -> Call<'a> {
        self.upload = Some(file);
        self
    }

    fn form(mut self, form: Vec<(&'static str, String)>) -> Call<'a> {
        self.form = Some(form);
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Call<'a> {
        self.headers.push((name, value.into()));
        self
    }
}

impl Contract {
    async fn of(server: &Wxgate) -> Contract {
        let response = reqwest::get(server.url("/api/openapi.json"))
            .await
            .expect("document");
        assert_eq!(response.status(), 200);
        let document: Value = response.json().await.expect("JSON");
        assert_eq!(document["openapi"], "3.1.0");
        // Generated clients name each operation by its id (openapi-typescript's `operations`): one each.
        let mut ids = BTreeSet::new();
        for item in document["paths"].as_object().expect("paths").values() {
            for operation in item.as_object().expect("path item").values() {
                let id = operation["operationId"].as_str().expect("an operationId");
                assert!(ids.insert(id.to_owned()), "operationId {id} is given twice");
            }
        }
        Contract {
            document,
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// Sends `call`, checks its answer against the document and returns the status and the JSON body (`null` when
    /// the answer is not JSON).
    async fn call(&self, server: &Wxgate, call: Call<'_>) -> (u16, Value) {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut request = client.request(call.method.clone(), server.url(&call.path));
        if let Some(token) = call.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        if let Some(form) = &call.form {
            request = request.form(form);
        }
        if let Some(file) = call.upload {
            let part = reqwest::multipart::Part::bytes(file).file_name("tmp_avatar");
            request = request.multipart(reqwest::multipart::Form::new().part("avatar", part));
        }
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned()
            });
        let bytes = response.bytes().await.expect("body");
        let method = call.method.as_str().to_ascii_lowercase();
        let operation = &self.document["paths"][call.template][&method];
        assert!(
            operation.is_object(),
            "{method} {} is not in the document",
            call.template
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{method} {} answered {status}, which the document does not give: {}",
            call.template,
            String::from_utf8_lossy(&bytes)
        );
        let body = match documented["content"].as_object() {
            None => {
                assert!(
                    bytes.is_empty() || status / 100 == 3,
                    "{method} {} {status} has no documented content but answered {}",
                    call.template,
                    String::from_utf8_lossy(&bytes)
                );
                Value::Null
            }
            Some(content) => {
                let content_type = content_type.unwrap_or_default();
                let family = content_type
                    .split('/')
                    .next()
                    .map(|kind| format!("{kind}/*"));
                let media = content
                    .get(&content_type)
                    .or_else(|| family.and_then(|family| content.get(&family)))
                    .unwrap_or_else(|| {
                        panic!(
                            "{method} {} {status} answered {content_type}, documented {:?}",
                            call.template,
                            content.keys().collect::<Vec<_>>()
                        )
                    });
                if content_type == "application/json" {
                    let body: Value = serde_json::from_slice(&bytes).expect("a JSON answer");
                    self.assert_matches(
                        &media["schema"],
                        &body,
                        &format!("{method} {} {status}", call.template),
                    );
                    body
                } else {
                    Value::Null
                }
            }
        };
        self.seen
            .lock()
            .expect("seen")
            .insert((method, call.template.to_owned()));
        (status, body)
    }

    /// `body` is valid against `schema`, whose `$ref`s point into the document's components, and has no member
    /// the schema does not name.
    fn assert_matches(&self, schema: &Value, body: &Value, what: &str) {
        let mut components = self.document["components"].clone();
        closed(&mut components);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": components,
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root).expect("the document's schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: {body} does not match: {errors:?}"
        );
    }

    /// Every operation of the document was called.
    fn assert_all_called(&self) {
        let seen = self.seen.lock().expect("seen");
        let mut missing = Vec::new();
        for (path, item) in self.document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if !seen.contains(&(method.clone(), path.clone())) {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(missing.is_empty(), "never called: {missing:?}");
    }
}

/// Every object schema in `schema` refuses members it does not name, so an answer cannot carry an undocumented one.
fn closed(schema: &mut Value) {
    match schema {
        Value::Object(members) => {
            if members.contains_key("properties") && !members.contains_key("additionalProperties") {
                members.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            members.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

#[tokio::test]
async fn every_documented_route_answers_as_its_schema_says() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[("WXGATE_OIDC_CLIENTS", &oidc::clients())]).await;
    let contract = Contract::of(&server).await;
    let get = |template| Call::new(Method::GET, template);
    let post = |template| Call::new(Method::POST, template);

    contract.call(&server, get("/healthz")).await;
    contract.call(&server, get("/readyz")).await;
    let (_, providers) = contract.call(&server, get("/api/auth/providers")).await;
    assert_eq!(providers[0]["id"], "wechat_mp");

    // Mini-program login, refused and accepted.
    let (status, _) = contract
        .call(
            &server,
            post("/api/auth/wechat/login").body(json!({"code": "not-a-code"})),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = contract
        .call(
            &server,
            post("/api/auth/wechat/login").body(json!({"wrong": 1})),
        )
        .await;
    assert_eq!(status, 400);
    let minted = server
        .control("/sandbox/mp/login-code", json!({"persona": "xiaoming"}))
        .await;
    let (status, login) = contract
        .call(
            &server,
            post("/api/auth/wechat/login").body(json!({"code": minted["code"]})),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let token = login["session_token"].as_str().expect("token").to_owned();

    // Cloud Hosting's sign-in is off unless switched on.
    let (status, _) = contract
        .call(&server, post("/api/auth/wechat/cloud-login"))
        .await;
    assert_eq!(status, 404);

    // The phone, and legacy open data.
    let phone_code = server
        .control("/sandbox/mp/phone-code", json!({"persona": "xiaoming"}))
        .await["code"]
        .clone();
    let (status, _) = contract
        .call(
            &server,
            post("/api/auth/wechat/phone").body(json!({"code": phone_code})),
        )
        .await;
    assert_eq!(status, 401);
    let (status, bound) = contract
        .call(
            &server,
            post("/api/auth/wechat/phone")
                .token(&token)
                .body(json!({"code": phone_code})),
        )
        .await;
    assert_eq!(
        (status, &bound["next_step"]),
        (200, &json!("done")),
        "{bound}"
    );
    let sealed = server
        .control("/sandbox/mp/encrypted-data", json!({"persona": "xiaoming"}))
        .await;
    let (status, opened) = contract
        .call(
            &server,
            post("/api/auth/wechat/decrypt").token(&token).body(sealed),
        )
        .await;
    assert_eq!(status, 200, "{opened}");
    let (status, _) = contract
        .call(
            &server,
            post("/api/auth/wechat/decrypt")
                .token(&token)
                .body(json!({"encrypted_data": "AAAA", "iv": "short"})),
        )
        .await;
    assert_eq!(status, 400);

    // Browser OAuth: redirects, and a bound past its limit.
    let (status, _) = contract
        .call(
            &server,
            get("/api/auth/wechat/oauth/start")
                .path("/api/auth/wechat/oauth/start?scope=base&next=/account".to_owned()),
        )
        .await;
    assert_eq!(status, 303);
    let (status, _) = contract
        .call(
            &server,
            get("/api/auth/wechat/oauth/start").path(format!(
                "/api/auth/wechat/oauth/start?next=/{}",
                "a".repeat(5000)
            )),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = contract
        .call(
            &server,
            get("/api/auth/wechat/oauth/callback")
                .path("/api/auth/wechat/oauth/callback?code=x".to_owned()),
        )
        .await;
    assert_eq!(status, 303);

    // The start/poll login.
    let (status, started) = contract
        .call(
            &server,
            post("/api/auth/oauth/start").body(json!({"provider": "wechat_web"})),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    let result = format!(
        "/api/auth/oauth/result?state={}",
        started["state"].as_str().expect("state")
    );
    let (status, pending) = contract
        .call(
            &server,
            get("/api/auth/oauth/result").path(result.clone()).header(
                "Wxgate-Poll-Secret",
                started["poll_secret"].as_str().expect("secret"),
            ),
        )
        .await;
    assert_eq!((status, &pending["status"]), (200, &json!("pending")));
    let (status, _) = contract
        .call(
            &server,
            post("/api/auth/oauth/start").body(json!({"provider": "wechat_oa"})),
        )
        .await;
    assert_eq!(status, 400);

    // The account.
    let (status, me) = contract.call(&server, get("/api/me").token(&token)).await;
    assert_eq!((status, me["has_phone"].as_bool()), (200, Some(true)));
    let (status, _) = contract.call(&server, get("/api/me")).await;
    assert_eq!(status, 401);

    // The profile: the nickname, the avatar and the avatar served back.
    let profile = |body| {
        Call::new(Method::PUT, "/api/me/profile")
            .token(&token)
            .body(body)
    };
    let (status, _) = contract
        .call(&server, profile(json!({"nickname": "小明"})))
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(&server, profile(json!({"nickname": ""})))
        .await;
    assert_eq!(status, 400);
    let (status, me) = contract
        .call(
            &server,
            post("/api/me/avatar").token(&token).upload(include_bytes!(
                "../../../app/src/ssr/profile/testdata/pixel.png"
            )),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    let (status, _) = contract
        .call(
            &server,
            post("/api/me/avatar").token(&token).upload(b"not an image"),
        )
        .await;
    assert_eq!(status, 415);
    let avatar = me["avatar_url"].as_str().expect("avatar_url").to_owned();
    let (status, _) = contract
        .call(&server, get("/api/avatars/{digest}").path(avatar))
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(
            &server,
            get("/api/avatars/{digest}").path("/api/avatars/0".to_owned()),
        )
        .await;
    assert_eq!(status, 404);

    // Payments: the catalogue, the mini program, a desktop browser, the order, its QR.
    let (status, products) = contract.call(&server, get("/api/products")).await;
    assert_eq!(status, 200);
    assert!(products.as_array().is_some_and(|list| !list.is_empty()));
    let (status, paying) = contract
        .call(
            &server,
            post("/api/payments/miniprogram/create")
                .token(&token)
                .body(json!({"product_id": "mug"})),
        )
        .await;
    assert_eq!(status, 200, "{paying}");
    let (status, _) = contract
        .call(
            &server,
            post("/api/payments/miniprogram/create")
                .token(&token)
                .body(json!({"product_id": "no-such-product"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, desktop) = contract
        .call(
            &server,
            post("/api/payments/create")
                .token(&token)
                .header(USER_AGENT.as_str(), DESKTOP_UA)
                .body(json!({"product_id": "green-tea"})),
        )
        .await;
    assert_eq!(status, 200, "{desktop}");
    assert!(desktop["code_url"].is_string(), "{desktop}");
    let qr = format!(
        "/api/orders/{}/qr.svg",
        desktop["order_id"].as_str().expect("id")
    );
    let (status, _) = contract
        .call(
            &server,
            get("/api/orders/{order_id}/qr.svg")
                .path(qr.clone())
                .token(&token),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(&server, get("/api/orders/{order_id}/qr.svg").path(qr))
        .await;
    assert_eq!(status, 401);
    let order_id = paying["order_id"].as_str().expect("id").to_owned();
    server
        .sandbox_pays(paying["out_trade_no"].as_str().expect("no"))
        .await;
    until_stored_status(&database.connect().await, &order_id, "PAID").await;
    let (status, order) = contract
        .call(
            &server,
            get("/api/orders/{order_id}")
                .path(format!("/api/orders/{order_id}"))
                .token(&token),
        )
        .await;
    assert_eq!((status, &order["status"]), (200, &json!("PAID")), "{order}");
    let (status, _) = contract
        .call(
            &server,
            get("/api/orders/{order_id}")
                .path("/api/orders/nope".to_owned())
                .token(&token),
        )
        .await;
    assert_eq!(status, 404);

    // Refunds: admins only.
    let refunds = format!("/api/orders/{order_id}/refunds");
    let refund = || json!({"refund_fen": 100, "request_id": "contract"});
    let (status, _) = contract
        .call(
            &server,
            post("/api/orders/{order_id}/refunds")
                .path(refunds.clone())
                .token(&token)
                .body(refund()),
        )
        .await;
    assert_eq!(status, 403);
    let minted = server
        .control("/sandbox/mp/login-code", json!({"persona": "laowang"}))
        .await;
    let (_, admin) = contract
        .call(
            &server,
            post("/api/auth/wechat/login").body(json!({"code": minted["code"]})),
        )
        .await;
    let admin = admin["session_token"].as_str().expect("token").to_owned();
    let (status, refunded) = contract
        .call(
            &server,
            post("/api/orders/{order_id}/refunds")
                .path(refunds)
                .token(&admin)
                .body(refund()),
        )
        .await;
    assert_eq!(status, 200, "{refunded}");

    // The webhook refuses what WeChat Pay did not sign.
    let (status, refused) = contract
        .call(
            &server,
            post("/api/webhooks/wechat-pay").body(json!({"id": "forged"})),
        )
        .await;
    assert!(matches!(status, 400 | 401), "{status} {refused}");
    assert_eq!(refused["code"], "FAIL");

    // WeChat's message push: the URL check answered with echostr when signed, refused when not.
    let oa_appid = server.control_get("/sandbox").await["oa_appid"]
        .as_str()
        .expect("oa_appid")
        .to_owned();
    let push_path = format!("/api/wechat/push/{oa_appid}");
    let push_token = database.sandbox_credentials().push_token;
    let timestamp = crate::support::unix_now().to_string();
    let signature = wechat::push::crypto::signature(&push_token, &timestamp, "7");
    let (status, _) = contract
        .call(
            &server,
            get("/api/wechat/push/{appid}").path(format!(
                "{push_path}?signature={signature}&timestamp={timestamp}&nonce=7&echostr=e1"
            )),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(
            &server,
            get("/api/wechat/push/{appid}")
                .path(format!("{push_path}?timestamp=1&nonce=7&echostr=e1")),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = contract
        .call(
            &server,
            post("/api/wechat/push/{appid}").path(format!(
                "{push_path}?signature={}&timestamp={timestamp}&nonce=7",
                "0".repeat(40)
            )),
        )
        .await;
    assert_eq!(status, 401);

    // The product's backend, with an API key made by `wxgate keys create`.
    let (_, key) = create_key(&database, "contract", &["users:read"]);
    let (_, me) = server.api(&token, Method::GET, "/api/me", None).await;
    let user_path = format!("/api/v1/users/{}", me["user_id"].as_str().expect("user_id"));
    let (status, user) = contract
        .call(
            &server,
            get("/api/v1/users/{user_id}")
                .path(user_path.clone())
                .token(&key),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    let (status, _) = contract
        .call(&server, get("/api/v1/users/{user_id}").path(user_path))
        .await;
    assert_eq!(status, 401);
    let openid = user["identities"][0]["openid"].as_str().expect("openid");
    let (status, _) = contract
        .call(
            &server,
            get("/api/v1/users/lookup")
                .path(format!("/api/v1/users/lookup?openid={openid}"))
                .token(&key),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(
            &server,
            get("/api/v1/users/lookup")
                .path("/api/v1/users/lookup?openid=o_nobody".to_owned())
                .token(&key),
        )
        .await;
    assert_eq!(status, 404);

    // Checkouts: made, read, and refunded once paid.
    let (_, seller) = create_key(
        &database,
        "contract seller",
        &["checkouts:write", "checkouts:read", "refunds:write"],
    );
    let sale = json!({
        "line_items": [{ "name": "Tea", "unit_fen": 100, "quantity": 2 }],
        "success_url": "https://shop.example/thanks",
        "metadata": { "cart": "contract" },
    });
    let (status, checkout) = contract
        .call(
            &server,
            post("/api/v1/checkouts")
                .token(&seller)
                .header("Idempotency-Key", "contract-1")
                .body(sale),
        )
        .await;
    assert_eq!(status, 201, "{checkout}");
    let (status, _) = contract
        .call(
            &server,
            post("/api/v1/checkouts")
                .token(&seller)
                .header("Idempotency-Key", "contract-1")
                .body(json!({ "line_items": [], "success_url": "https://shop.example/" })),
        )
        .await;
    assert_eq!(status, 422);
    let checkout_id = checkout["id"].as_str().expect("id");
    let checkout_path = format!("/api/v1/checkouts/{checkout_id}");
    let refunds_path = format!("{checkout_path}/refunds");
    let (status, _) = contract
        .call(
            &server,
            post("/api/v1/checkouts/{checkout_id}/refunds")
                .path(refunds_path.clone())
                .token(&seller)
                .header("Idempotency-Key", "contract-refund-0")
                .body(json!({})),
        )
        .await;
    assert_eq!(status, 409, "an open checkout is not refundable");
    let (status, paying) = server
        .api(
            &token,
            Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "checkout_id": checkout_id })),
        )
        .await;
    assert_eq!(status, 200, "{paying}");
    server
        .sandbox_pays(paying["out_trade_no"].as_str().expect("no"))
        .await;
    until_stored_status(
        &database.connect().await,
        paying["order_id"].as_str().expect("id"),
        "PAID",
    )
    .await;
    let (status, read) = contract
        .call(
            &server,
            get("/api/v1/checkouts/{checkout_id}")
                .path(checkout_path)
                .token(&seller),
        )
        .await;
    assert_eq!((status, read["status"].as_str()), (200, Some("paid")));
    let (status, _) = contract
        .call(
            &server,
            get("/api/v1/checkouts/{checkout_id}")
                .path("/api/v1/checkouts/nope".to_owned())
                .token(&seller),
        )
        .await;
    assert_eq!(status, 404);
    let (status, refund) = contract
        .call(
            &server,
            post("/api/v1/checkouts/{checkout_id}/refunds")
                .path(refunds_path)
                .token(&seller)
                .header("Idempotency-Key", "contract-refund-1")
                .body(json!({ "refund_fen": 50 })),
        )
        .await;
    assert_eq!((status, refund["refund_fen"].as_i64()), (200, Some(50)));

    // The OpenID Connect provider, as a client uses it.
    for template in ["/.well-known/openid-configuration", "/oauth2/jwks"] {
        let (status, _) = contract.call(&server, get(template)).await;
        assert_eq!(status, 200, "{template}");
    }
    let (verifier, challenge) = oidc::pkce();
    let authorize = oidc::authorize_path("shop", oidc::REDIRECT, Some(&challenge), &[]);
    let (status, _) = contract
        .call(&server, get("/oauth2/authorize").path(authorize.clone()))
        .await;
    assert_eq!(status, 303, "not signed in: to the login first");
    let (status, _) = contract
        .call(
            &server,
            post("/oauth2/authorize").form(vec![("client_id", "nobody".to_owned())]),
        )
        .await;
    assert_eq!(status, 400, "an unknown client is told to the person");
    let signed_in = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(server.url(&authorize))
        // The session as the browser's cookie: a bearer token at /oauth2/ is the client's, not a session.
        .header("cookie", format!("wxgate_session={token}"))
        .send()
        .await
        .expect("authorize");
    let back = signed_in.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(back.starts_with(oidc::REDIRECT), "{back}");
    let code = oidc::query(&back, "code").expect("a code");
    let exchange = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", oidc::REDIRECT.to_owned()),
        ("code_verifier", verifier),
    ];
    let basic = |secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("shop:{secret}"))
        )
    };
    let (status, tokens) = contract
        .call(
            &server,
            post("/oauth2/token")
                .form(exchange.clone())
                .header("authorization", basic(oidc::SECRET)),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().expect("access token");
    let (status, _) = contract
        .call(&server, get("/oauth2/userinfo").token(access_token))
        .await;
    assert_eq!(status, 200);
    let (status, _) = contract
        .call(
            &server,
            post("/oauth2/token")
                .form(exchange.clone())
                .header("authorization", basic(oidc::SECRET)),
        )
        .await;
    assert_eq!(
        status, 400,
        "a code is used once (and its tokens are revoked)"
    );
    let (status, _) = contract
        .call(
            &server,
            post("/oauth2/token")
                .form(exchange)
                .header("authorization", basic("wrong")),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = contract.call(&server, post("/oauth2/userinfo")).await;
    assert_eq!(status, 401);
    let (status, _) = contract.call(&server, get("/oauth2/logout")).await;
    assert_eq!(status, 200, "without an ID token, the person confirms");
    let (status, _) = contract
        .call(
            &server,
            post("/oauth2/logout").form(vec![
                ("client_id", "shop".to_owned()),
                (
                    "post_logout_redirect_uri",
                    "https://elsewhere.example/".to_owned(),
                ),
            ]),
        )
        .await;
    assert_eq!(status, 400, "an unregistered post_logout_redirect_uri");

    let (status, _) = contract
        .call(&server, post("/api/auth/logout").token(&token))
        .await;
    assert_eq!(status, 204);
    contract.assert_all_called();
}
