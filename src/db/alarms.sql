-- Health alarms and notifications (issue "SPC a quality engineer would sign"); documented in docs/schema.md.

-- Alarms about the plant and the service rather than a model's process: a station silent in its working
-- hours, too many files quarantined, a nightly job that failed or did not run, memory critical too long.
-- They share spc_alarms' id sequence, so an alarm id names one alarm whichever table holds it.
CREATE TABLE IF NOT EXISTS health_alarms (
  alarm_id         BIGINT PRIMARY KEY DEFAULT nextval('spc_alarm_id_seq'),
  kind             VARCHAR NOT NULL,
  subject          VARCHAR NOT NULL,
  severity         VARCHAR NOT NULL,
  description      VARCHAR NOT NULL,
  first_at         TIMESTAMP NOT NULL,
  last_at          TIMESTAMP NOT NULL,
  cleared_at       TIMESTAMP,
  created_at       TIMESTAMP NOT NULL,
  acknowledged_by  VARCHAR,
  acknowledged_at  TIMESTAMP,
  assignable_cause VARCHAR,
  resolved_by       VARCHAR,
  resolved_at       TIMESTAMP,
  corrective_action VARCHAR
);

-- Every alarm, whichever table holds it, in the columns notifications, pages and /metrics share. SPC
-- alarms' times are the station clock (test dates), health alarms' UTC; only health alarms clear.
-- `is_open`: not acknowledged, resolved or cleared (what every list, count and notification means by open).
CREATE OR REPLACE VIEW v_alarms AS
SELECT *, acknowledged_at IS NULL AND resolved_at IS NULL AND cleared_at IS NULL AS is_open FROM (
SELECT alarm_id,
       CASE WHEN rule LIKE 'nelson_%' THEN 'spc' ELSE 'drift' END AS kind,
       model, station, metric, rule,
       CASE WHEN rule = 'nelson_1' OR rule LIKE 'cusum_%' THEN 'high' ELSE 'medium' END AS severity,
       description, points, first_at, last_at, NULL::TIMESTAMP AS cleared_at, created_at,
       acknowledged_by, acknowledged_at, assignable_cause, first_file_id, last_file_id, file_ids,
       NULL::VARCHAR AS subject, resolved_by, resolved_at, corrective_action, track_id
FROM spc_alarms
UNION ALL
SELECT alarm_id, kind, NULL::VARCHAR, CASE WHEN kind = 'silence' THEN subject END, NULL::VARCHAR, kind, severity,
       description, NULL::INTEGER, first_at, last_at, cleared_at, created_at,
       acknowledged_by, acknowledged_at, assignable_cause, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT[], subject,
       resolved_by, resolved_at, corrective_action, NULL::VARCHAR
FROM health_alarms);

-- A channel's first sight: alarms raised before it was configured are not sent to it.
CREATE TABLE IF NOT EXISTS notify_channels (
  channel          VARCHAR PRIMARY KEY,
  from_alarm_id    BIGINT NOT NULL,
  added_at         TIMESTAMP NOT NULL,
  last_digest_day  VARCHAR
);

-- One row per alarm and channel, written in the transaction that decides to send it: a restart finds
-- what is still to go and never sends what went.
CREATE TABLE IF NOT EXISTS alarm_deliveries (
  alarm_id    BIGINT NOT NULL,
  channel     VARCHAR NOT NULL,
  status      VARCHAR NOT NULL CHECK (status IN ('pending', 'digest', 'sent', 'failed')),
  attempts    INTEGER NOT NULL,
  next_at     TIMESTAMP,
  sent_at     TIMESTAMP,
  last_error  VARCHAR,
  created_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (alarm_id, channel)
);

-- The delivery log: every attempt, what the channel answered.
CREATE TABLE IF NOT EXISTS delivery_attempts (
  alarm_id     BIGINT NOT NULL,
  channel      VARCHAR NOT NULL,
  attempted_at TIMESTAMP NOT NULL,
  ok           BOOLEAN NOT NULL,
  detail       VARCHAR
);
