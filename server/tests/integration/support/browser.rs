//! A browser for tests: keeps cookies, never follows redirects on its own (each hop is checked), and can wear a
//! WeChat user agent.

use reqwest::header::USER_AGENT;
use reqwest::redirect::Policy;
use reqwest::Response;

/// The user agent of the WeChat browser on a phone.
pub const WECHAT_UA: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI";

pub struct Browser {
    client: reqwest::Client,
    user_agent: Option<&'static str>,
}

impl Browser {
    pub fn new(user_agent: Option<&'static str>) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client");
        Browser { client, user_agent }
    }

    pub async fn get(&self, url: &str) -> Response {
        let mut request = self.client.get(url);
        if let Some(agent) = self.user_agent {
            request = request.header(USER_AGENT, agent);
        }
        request.send().await.expect("GET")
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.expect("POST")
    }

    /// A form POST from a page of `origin`, as a browser sends it (with the `Origin` header).
    pub async fn post_form_from(&self, origin: &str, url: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(url)
            .header(reqwest::header::ORIGIN, origin)
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn post_json(&self, url: &str, body: &serde_json::Value) -> Response {
        let mut request = self.client.post(url).json(body);
        if let Some(agent) = self.user_agent {
            request = request.header(USER_AGENT, agent);
        }
        request.send().await.expect("POST")
    }
}
