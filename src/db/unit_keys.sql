-- A unit's keys: how stations and test benches write the same unit differently (upstream-spec.md §2.6).
-- The ledger stores both keys with each file (files.model_key, files.serial_key); the lake computes them.
-- `SN007`, `7`, `7B` are one serial; `8275A` and `8275`, `2475-08` and `2475-8`, `7280-1-CT` and `7280-1` one model.
CREATE OR REPLACE MACRO lta_serial_key(s) AS
  regexp_replace(
    regexp_replace(
      regexp_replace(lower(trim(s)), '^(s/n|s\.n\.|sn|#)\s*', ''),
      '^([0-9]+)[abprt]$', '\1'),
    '^0+([0-9a-z])', '\1');

CREATE OR REPLACE MACRO lta_model_key(m) AS
  regexp_replace(
    regexp_replace(
      regexp_replace(lower(trim(m)), '-0+([0-9])', '-\1', 'g'),
      '^([0-9]+)[a-z]$', '\1'),
    '^([0-9]+(-[0-9]+)*)(-[a-z]+)+$', '\1');
