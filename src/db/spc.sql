-- Statistical process control (issue "SPC and drift"); documented in docs/schema.md.
CREATE SEQUENCE IF NOT EXISTS spc_alarm_id_seq START 1;

-- Control limits are versioned: recomputing adds a version, history keeps the limits it was judged by.
-- Per series: model, track and station (`track_id` '' holds the limits of a model's mixed tracks from
-- before schema 7; `station` '' the files that record no station).
CREATE TABLE IF NOT EXISTS control_limits (
  model         VARCHAR NOT NULL,
  track_id      VARCHAR NOT NULL DEFAULT '',
  station       VARCHAR NOT NULL DEFAULT '',
  metric        VARCHAR NOT NULL,
  version       INTEGER NOT NULL,
  centre        DOUBLE NOT NULL,
  sigma         DOUBLE NOT NULL,
  lcl           DOUBLE NOT NULL,
  ucl           DOUBLE NOT NULL,
  mr_bar        DOUBLE NOT NULL,
  n             INTEGER NOT NULL,
  computed_from TIMESTAMP NOT NULL,
  computed_to   TIMESTAMP NOT NULL,
  computed_at   TIMESTAMP NOT NULL,
  computed_by   VARCHAR,
  reason        VARCHAR,
  baseline      VARCHAR,
  excluded      INTEGER,
  PRIMARY KEY (model, track_id, station, metric, version)
);

-- Files left out of a model's baselines (one metric, or both when metric is NULL), with who and why.
CREATE TABLE IF NOT EXISTS spc_exclusions (
  model        VARCHAR NOT NULL,
  metric       VARCHAR,
  file_id      BIGINT NOT NULL,
  reason       VARCHAR NOT NULL,
  excluded_by  VARCHAR NOT NULL,
  excluded_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS spc_alarms (
  alarm_id         BIGINT PRIMARY KEY DEFAULT nextval('spc_alarm_id_seq'),
  model            VARCHAR NOT NULL,
  metric           VARCHAR NOT NULL,
  rule             VARCHAR NOT NULL,
  description      VARCHAR NOT NULL,
  limits_version   INTEGER,
  first_at         TIMESTAMP NOT NULL,
  last_at          TIMESTAMP NOT NULL,
  first_file_id    BIGINT NOT NULL,
  last_file_id     BIGINT NOT NULL,
  file_ids         BIGINT[] NOT NULL,
  points           INTEGER NOT NULL,
  created_at       TIMESTAMP NOT NULL,
  acknowledged_by  VARCHAR,
  acknowledged_at  TIMESTAMP,
  assignable_cause VARCHAR,
  resolved_by       VARCHAR,
  resolved_at       TIMESTAMP,
  corrective_action VARCHAR,
  -- The series that raised it: its track (NULL: a model's tracks mixed, before schema version 7) and
  -- station (NULL: files that record none).
  track_id          VARCHAR,
  station           VARCHAR
);

-- Every acknowledgement and resolution of an alarm, oldest first: a later one (a corrected cause, the
-- corrective action taken) adds a row, and the alarm keeps the newest as its current state.
CREATE TABLE IF NOT EXISTS alarm_acknowledgements (
  alarm_id          BIGINT NOT NULL,
  acknowledged_at   TIMESTAMP NOT NULL,
  acknowledged_by   VARCHAR NOT NULL,
  assignable_cause  VARCHAR NOT NULL,
  note              VARCHAR,
  action            VARCHAR DEFAULT 'acknowledge',
  corrective_action VARCHAR
);
