-- One row per China day checked against WeChat Pay's trade bill: by the daily job (which claims the day here so
-- only one process runs it) or by `wxgate reconcile --date`. findings holds the differences, one per line, or
-- why the check failed.
CREATE TABLE reconciliations (
    bill_date TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    payments BIGINT NOT NULL DEFAULT 0,
    refunds BIGINT NOT NULL DEFAULT 0,
    findings TEXT NOT NULL DEFAULT '',
    -- When a process last claimed the day or wrote its outcome.
    claimed_at BIGINT NOT NULL
);
