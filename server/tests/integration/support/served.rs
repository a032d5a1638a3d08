//! What tests do with a wxgate over HTTP, whichever way it was started (in-process or as the binary): both deref
//! to a [`Served`] at their address.

use std::time::Duration;

/// A wxgate answering at `base_url`.
pub struct Served {
    pub base_url: String,
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Calls a control route (the sandbox's, in sandbox mode) of this wxgate.
    pub async fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        super::control_call(self.url(path), body).await
    }

    /// `GET /api/orders/{order_id}` as `token`'s session (which asks WeChat Pay while the order is paying).
    pub async fn order(&self, token: &str, order_id: &str) -> (u16, serde_json::Value) {
        self.api(
            token,
            reqwest::Method::GET,
            &format!("/api/orders/{order_id}"),
            None,
        )
        .await
    }

    /// Asks for the order until it is `status` (for up to ten seconds), each answer a 200; the last answer.
    pub async fn until_order_status(
        &self,
        token: &str,
        order_id: &str,
        status: &str,
    ) -> serde_json::Value {
        let mut order = serde_json::Value::Null;
        for _ in 0..100 {
            let (code, seen) = self.order(token, order_id).await;
            assert_eq!(code, 200, "{seen}");
            if seen["status"] == status {
                return seen;
            }
            order = seen;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("order {order_id} never became {status}: {order}");
    }

    /// The buyer pays `out_trade_no` (the sandbox's control API plays the buyer's WeChat).
    pub async fn sandbox_pays(&self, out_trade_no: &str) {
        self.control(
            &format!("/sandbox/pay/orders/{out_trade_no}/pay"),
            serde_json::json!({}),
        )
        .await;
    }

    /// WeChat Pay finishes the refund `out_refund_no` successfully (the sandbox's control API plays that part).
    pub async fn sandbox_settles_refund(&self, out_refund_no: &str) {
        self.control(
            &format!("/sandbox/pay/refunds/{out_refund_no}/outcome"),
            serde_json::json!({ "status": "SUCCESS" }),
        )
        .await;
    }

    /// Calls the server function `endpoint` (under `/api/fn`) with form `fields`, as `token`'s session.
    pub async fn server_fn(
        &self,
        token: &str,
        endpoint: &str,
        fields: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = reqwest::Client::new()
            .post(self.url(&format!("/api/fn/{endpoint}")))
            .bearer_auth(token)
            .form(fields)
            .send()
            .await
            .expect("server function");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Logs `persona` in as the mini program would (the sandbox mints its `wx.login` code); returns the session token.
    pub async fn mini_program_login(&self, persona: &str) -> String {
        let minted = self
            .control(
                "/sandbox/mp/login-code",
                serde_json::json!({ "persona": persona }),
            )
            .await;
        let (status, login) = self
            .api(
                "",
                reqwest::Method::POST,
                "/api/auth/wechat/login",
                Some(serde_json::json!({ "code": minted["code"] })),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        login["session_token"]
            .as_str()
            .expect("session_token")
            .to_owned()
    }

    /// Binds `persona`'s phone (the sandbox mints the phone button's code) to `token`'s user; the 200 answer.
    pub async fn bind_phone(&self, token: &str, persona: &str) -> serde_json::Value {
        let phone_code = self
            .control(
                "/sandbox/mp/phone-code",
                serde_json::json!({ "persona": persona }),
            )
            .await["code"]
            .clone();
        let (status, bound) = self
            .api(
                token,
                reqwest::Method::POST,
                "/api/auth/wechat/phone",
                Some(serde_json::json!({ "code": phone_code })),
            )
            .await;
        assert_eq!(status, 200, "{bound}");
        bound
    }

    /// Buys one `product_id` as the mini program would (`POST /api/payments/miniprogram/create`, which must answer
    /// 200); returns the answer: `order_id`, `out_trade_no` and `wx.requestPayment`'s parameters.
    pub async fn mini_program_order(&self, token: &str, product_id: &str) -> serde_json::Value {
        let (status, created) = self
            .api(
                token,
                reqwest::Method::POST,
                "/api/payments/miniprogram/create",
                Some(serde_json::json!({ "product_id": product_id })),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        created
    }

    /// Calls the JSON API, with `token` as the bearer unless it is empty; returns the status and the JSON body
    /// (`null` when there is none).
    pub async fn api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// GETs a control route of this wxgate.
    pub async fn control_get(&self, path: &str) -> serde_json::Value {
        reqwest::get(self.url(path))
            .await
            .expect("control call")
            .json()
            .await
            .expect("control JSON")
    }

    /// The openid the sandbox gives `persona` in `appid`.
    pub async fn persona_openid(&self, persona: &str, appid: &str) -> String {
        self.control_get("/sandbox/personas")
            .await
            .as_array()
            .and_then(|list| list.iter().find(|seen| seen["id"] == persona))
            .and_then(|seen| seen["openids"][appid].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}
