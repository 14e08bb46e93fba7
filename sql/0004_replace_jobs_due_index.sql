-- Claiming walks the due jobs in (run_after, id) order straight off this
-- index instead of sorting every due row (10,000 due refreshes: ~4 ms per
-- claim before).
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (run_after, id) WHERE state = 'queued';
