-- tsfn schema, version 1. Applied once by infra/migrate.ts, inside a transaction.

create table accounts (
  name        text primary key,
  created_at  timestamptz not null default now()
);
insert into accounts (name) values ('default');

-- API keys: `tsfn_<id>_<secret>`; only sha256(secret) is kept.
create table api_keys (
  id          text primary key,
  account     text not null references accounts (name) on delete cascade,
  hash        text not null,
  admin       boolean not null default false,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz
);
create index api_keys_account on api_keys (account);

-- Deploy artifacts (tar.gz of a bundle directory), content-addressed.
create table artifacts (
  digest      text primary key,
  size        integer not null,
  data        bytea not null,
  created_at  timestamptz not null default now()
);

create table functions (
  name            text primary key,
  account         text not null references accounts (name) on delete cascade,
  latest_version  integer not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index functions_account on functions (account);

-- Immutable versions; config_hash covers the artifact digest and the manifest.
create table function_versions (
  function     text not null references functions (name) on delete cascade,
  version      integer not null,
  digest       text not null references artifacts (digest),
  manifest     jsonb not null,
  config_hash  text not null,
  created_at   timestamptz not null default now(),
  primary key (function, version),
  unique (function, config_hash)
);

-- Prices in pico-dollars (1e-12 $), integers; the row in force at an
-- invocation's end prices it.
create table prices (
  effective_from      timestamptz primary key,
  gb_second_picos     bigint not null,
  request_picos       bigint not null,
  cpu_second_picos    bigint not null
);
insert into prices values ('1970-01-01T00:00:00Z', 16666700, 200000, 0);

-- One metering record per invocation (SPEC §4). mib_ms = memory_limit_mib * billed_ms
-- keeps GB-seconds exact: gb_seconds = mib_ms / 1024000.
create table invocations (
  invocation_id      uuid not null,
  -- async and scheduled invocations are retried: one record per attempt
  attempt            integer not null default 1,
  account            text not null,
  function           text not null,
  version            integer not null,
  trigger            text not null,
  status             text not null,
  start              text not null,
  queued_at          timestamptz not null,
  started_at         timestamptz not null,
  ended_at           timestamptz not null,
  queue_ms           double precision not null,
  init_ms            double precision not null,
  duration_ms        double precision not null,
  billed_ms          bigint not null,
  memory_limit_mib   integer not null,
  memory_peak_bytes  bigint not null,
  cpu_us             bigint not null,
  mib_ms             bigint not null,
  cost_picos         bigint not null,
  invoker            text not null,
  primary key (invocation_id, attempt)
);
create index invocations_account_time on invocations (account, ended_at);
create index invocations_function_time on invocations (function, ended_at);

-- Daily rollup, updated in the same transaction as the records it sums.
create table usage_daily (
  account       text not null,
  function      text not null,
  day           date not null,
  invocations   bigint not null,
  errors        bigint not null,
  cold_starts   bigint not null,
  mib_ms        bigint not null,
  cpu_us        bigint not null,
  cost_picos    bigint not null,
  primary key (account, function, day)
);

-- Each invocation's log lines (console output, REPORT line, errors), capped.
create table invocation_logs (
  invocation_id  uuid not null,
  attempt        integer not null default 1,
  account        text not null,
  function       text not null,
  ended_at       timestamptz not null,
  lines          jsonb not null,
  truncated      boolean not null default false,
  primary key (invocation_id, attempt)
);
create index invocation_logs_function_time on invocation_logs (function, ended_at);
