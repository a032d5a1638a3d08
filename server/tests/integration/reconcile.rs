//! Reconciliation against the sandbox's trade bill: `wxgate reconcile --date` agreeing and then naming payments and
//! refunds that differ, and the daily job checking yesterday once, with a failed day retried and a missed day filled
//! in, recorded for the admin page.

use std::time::Duration;

use app::ssr::clock::now;
use app::ssr::db::{Database, MarkedPaid, PaidTransaction, ReconciliationRow, RefundRow};
use app::types::money::Fen;
use app::types::status::{ReconciliationOutcome, RefundStatus};
use serde_json::json;

use crate::support::{
    on_both_backends, run_to_exit, until_stored_status, TestDatabase, WxgateProcess,
};

on_both_backends! {
    reconcile_agrees_with_the_bill_and_names_what_differs => reconcile_agrees_with_the_bill_and_names_what_differs;
    the_daily_job_checks_yesterday_once_and_the_admin_page_shows_it => the_daily_job_checks_yesterday_once_and_the_admin_page_shows_it;
}

/// The China date `days_ago` days before today, as bills are named.
fn china_date(days_ago: i64) -> String {
    (time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"))
        - time::Duration::days(days_ago))
    .date()
    .to_string()
}

/// An order wxgate thinks was paid at `paid_at` that WeChat Pay never saw; its out_trade_no.
async fn ghost_payment(server: &WxgateProcess, db: &Database, token: &str, paid_at: i64) -> String {
    let ghost = server.mini_program_order(token, "green-tea").await;
    let ghost_no = ghost["out_trade_no"].as_str().expect("no").to_owned();
    let paid = PaidTransaction {
        out_trade_no: &ghost_no,
        transaction_id: "4200000000000000000000000000",
        payer_openid: None,
        paid_at,
    };
    assert_eq!(
        db.mark_paid(&paid, |_| None, None).await.expect("mark"),
        MarkedPaid::Paid
    );
    ghost_no
}

async fn reconcile_agrees_with_the_bill_and_names_what_differs(database: TestDatabase) {
    // No WXGATE_ADMINS: in sandbox mode 老王 is the admin.
    let server = WxgateProcess::start(&database, &[]).await;
    let admin = server.mini_program_login("laowang").await;
    let token = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&token, "mug").await;
    let order_id = created["order_id"].as_str().expect("id");
    let out_trade_no = created["out_trade_no"].as_str().expect("no");
    server.sandbox_pays(out_trade_no).await;
    let db = database.connect().await;
    until_stored_status(&db, order_id, "PAID").await;
    let (status, refund) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &format!("/api/orders/{order_id}/refunds"),
            Some(json!({ "refund_fen": 100, "request_id": "part" })),
        )
        .await;
    assert_eq!(status, 200, "{refund}");
    server
        .sandbox_settles_refund(refund["out_refund_no"].as_str().expect("no"))
        .await;
    until_stored_status(&db, order_id, "PARTIALLY_REFUNDED").await;

    let today = china_date(0);
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
    assert!(printed.contains("1 payments, 1 refunds"), "{printed}");
    assert!(printed.contains("Differences: none."), "{printed}");

    // A payment and a refund wxgate believes in that WeChat Pay never saw.
    let ghost_no = ghost_payment(&server, &db, &token, now()).await;
    let ghost_refund = RefundRow {
        out_refund_no: format!("{out_trade_no}R9"),
        order_id: order_id.to_owned(),
        refund_fen: Fen::new(1),
        reason: None,
        status: RefundStatus::Requested,
        refund_id: None,
    };
    assert_eq!(
        db.request_refund(&ghost_refund, "test")
            .await
            .expect("refund"),
        app::ssr::db::refunds::RefundRequested::Recorded
    );
    assert!(db
        .update_refund(
            &ghost_refund.out_refund_no,
            RefundStatus::Processing,
            Some("50300000000000000000000000000")
        )
        .await
        .expect("accepted"));

    let differs = reconcile();
    let printed = String::from_utf8_lossy(&differs.stdout);
    assert_eq!(differs.status.code(), Some(1), "{printed}");
    let expected = [
        format!("{ghost_no}: paid here, not in WeChat Pay's bill"),
        format!(
            "{}: refund accepted here, not in WeChat Pay's bill",
            ghost_refund.out_refund_no
        ),
    ];
    for difference in &expected {
        assert!(printed.contains(difference.as_str()), "{printed}");
    }
    let recorded = db.recent_reconciliations(10).await.expect("recorded");
    assert_eq!(recorded.len(), 1, "one row per day, the last check kept");
    assert_eq!(recorded[0].bill_date, today);
    assert_eq!(recorded[0].outcome, ReconciliationOutcome::Differs);
    assert_eq!((recorded[0].payments, recorded[0].refunds), (1, 1));
    assert_eq!(recorded[0].findings, expected.join("\n"));
}

async fn the_daily_job_checks_yesterday_once_and_the_admin_page_shows_it(database: TestDatabase) {
    let yesterday = china_date(1);
    let ghost_no = {
        let server = WxgateProcess::start(&database, &[]).await;
        let token = server.mini_program_login("xiaoming").await;
        let db = database.connect().await;
        ghost_payment(&server, &db, &token, now() - 24 * 60 * 60).await
    };

    // Three days ago was tried an hour ago and failed; the day before yesterday was never checked.
    let three_days_ago = china_date(3);
    database
        .connect()
        .await
        .record_reconciliation(
            &ReconciliationRow {
                bill_date: three_days_ago.clone(),
                outcome: ReconciliationOutcome::Failed,
                payments: 0,
                refunds: 0,
                findings: "WeChat Pay is not answering; try again in a moment".to_owned(),
            },
            now() - 60 * 60,
        )
        .await
        .expect("record");

    // A new process whose reconciliation time has passed checks those days and yesterday at once. Its sandbox has
    // no bills for them (NO_STATEMENT_EXIST), so the payment recorded here yesterday is a difference.
    let server = WxgateProcess::start(&database, &[("WXGATE_RECONCILE_AT", "00:00")]).await;
    let db = database.connect().await;
    let mut recorded = Vec::new();
    for _ in 0..100 {
        recorded = db.recent_reconciliations(10).await.expect("recorded");
        if recorded.len() == 3 && recorded.iter().all(|day| day.outcome.is_answered()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let outcomes: Vec<(&str, ReconciliationOutcome)> = recorded
        .iter()
        .map(|day| (day.bill_date.as_str(), day.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            (yesterday.as_str(), ReconciliationOutcome::Differs),
            (china_date(2).as_str(), ReconciliationOutcome::Agreed),
            (three_days_ago.as_str(), ReconciliationOutcome::Agreed),
        ],
        "{}",
        server.log()
    );
    assert_eq!(
        recorded[0].findings,
        format!("{ghost_no}: paid here, not in WeChat Pay's bill")
    );
    assert!(
        !db.claim_reconciliation(&yesterday, now(), now() - 1800, now() - 600)
            .await
            .expect("claim"),
        "a day checked is not claimed again"
    );

    let admin = server.mini_program_login("laowang").await;
    let (status, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        overview["reconciliations"][0],
        json!({
            "bill_date": yesterday,
            "outcome": "DIFFERS",
            "payments": 0,
            "refunds": 0,
            "findings": [format!("{ghost_no}: paid here, not in WeChat Pay's bill")],
        })
    );
    assert_eq!(overview["reconciliations"][2]["outcome"], "AGREED");
    let buyer = server.mini_program_login("xiaoming").await;
    let (status, refused) = server.server_fn(&buyer, "admin", &[]).await;
    assert_ne!(status, 200);
    assert_eq!(refused, json!({ "Shop": "Forbidden" }));
}
