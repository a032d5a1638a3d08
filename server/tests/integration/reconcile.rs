//! `wxgate reconcile --date`: the day's trade bill from the sandbox against the orders, agreeing and then not.

use std::time::Duration;

use serde_json::json;

use crate::support::{run_to_exit, TestDatabase, Wxgate};

#[tokio::test]
async fn reconcile_agrees_with_the_bill_and_names_what_differs() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let token = token.as_str();
    let created = server.mini_program_order(token, "mug").await;
    let order_id = created["order_id"].as_str().expect("id");
    server
        .control(
            &format!(
                "/sandbox/pay/orders/{}/pay",
                created["out_trade_no"].as_str().expect("no")
            ),
            json!({}),
        )
        .await;
    let db = database.connect().await;
    for _ in 0..100 {
        if db
            .order(order_id)
            .await
            .expect("order")
            .expect("exists")
            .status
            .as_str()
            == "PAID"
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"))
        .date()
        .to_string();
    let address = server.base_url.trim_start_matches("http://").to_owned();
    let reconcile = || {
        run_to_exit(
            &database,
            &["--addr", &address, "reconcile", "--date", &today],
            &[],
        )
    };

    let agreed = reconcile();
    let printed = String::from_utf8_lossy(&agreed.stdout);
    assert!(
        agreed.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&agreed.stderr)
    );
    assert!(printed.contains("1 payments"), "{printed}");
    assert!(printed.contains("Differences: none."), "{printed}");

    // An order wxgate thinks is paid that WeChat Pay never saw.
    let ghost = server.mini_program_order(token, "green-tea").await;
    let ghost_no = ghost["out_trade_no"].as_str().expect("no");
    assert!(db
        .mark_paid(
            ghost_no,
            "4200000000000000000000000000",
            app::ssr::wechat::clock::now()
        )
        .await
        .expect("mark"));

    let differs = reconcile();
    let printed = String::from_utf8_lossy(&differs.stdout);
    assert_eq!(differs.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains(&format!("{ghost_no}: paid here, not in WeChat Pay's bill")),
        "{printed}"
    );
}
