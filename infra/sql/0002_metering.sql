-- tsfn schema, version 2: metering.

-- Refused (429) invocations are counted in the rollup (and in `errors`) but cost
-- nothing; reports show them apart.
alter table usage_daily add column rejected bigint not null default 0;

-- Retention deletes by end time. Rows arrive roughly in end-time order, so a
-- BRIN index finds old ones at almost no cost to the insert path.
create index invocations_ended_at on invocations using brin (ended_at);
create index invocation_logs_ended_at on invocation_logs using brin (ended_at);
