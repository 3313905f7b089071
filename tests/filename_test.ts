import { deepEqual as assertEquals } from "node:assert/strict";
import { parseFileName } from "../src/ingest/filename.ts";

const examples: Array<[string, string | null, string | null]> = [
  ["8340-1_SN12345.xls", "8340-1", "SN12345"],
  ["8340-3_AB12345.xls", "8340-3", "AB12345"],
  ["1844202_10_TA_Test Data_11-22-2024.xls", "1844202", "10"],
  ["8877_5_deg_1_TEST DATA_12-2-2024.xls", "8877", "1"],
  ["8444-shop0_12-7-2021 10-14-41 AM.xlsx", "8444", "shop0"],
  ["8340sn209.xls", "8340", "209"],
  ["8340-1-sn201_date.xls", "8340-1", "201"],
  ["7280-1-CT_12_TEST DATA_11-2-2022_6-49 PM.xls", "7280-1-CT", "12"],
  ["8397-2_ SN10_ date.xlsx", "8397-2", "SN10"],
  ["6644 MASTER_130_TA_Test Data_12-13-2024_2-57 PM_ResTrimmed Correct.xls", "6644", "130"],
  ["6871 A_199_TEST DATA_8-20-2019_2-26 PM.xls", "6871", "199"],
  ["8779_15-OUTER_TEST DATA_1-2-2020_1-00 PM.xls", "8779", "15-OUTER"],
  ["8856_56C-D_TEST DATA_1-2-2020_1-00 PM.xls", "8856", "56C-D"],
  ["8563__TEST DATA_4-6-2018_12-03 PM.xls", "8563", null],
  ["5409A_6_TEST DATA_8-22-2017_9-07 AM.xls", "5409A", "6"],
  ["20220706_7_TEST DATA_7-8-2022_3-16 PM.xls", "20220706", "7"],
];

for (const [name, model, serial] of examples) {
  Deno.test(`parseFileName() reads model ${model} and serial ${serial} from "${name}"`, () => {
    const info = parseFileName(name);
    assertEquals([info.model, info.serial], [model, serial]);
  });
}

Deno.test("parseFileName() takes date and time of day, and keeps the trim status words as a note", () => {
  const info = parseFileName("1844202_10_TA_Test Data_11-22-2024_9-08 AMTrimmed Correct.xls");
  assertEquals(info.testDate?.toISOString(), "2024-11-22T09:08:00.000Z");
  assertEquals(info.trimNote, "Trimmed Correct");
  const pm = parseFileName("2511_66_TEST DATA_2-18-2025_1-02 PM.xls");
  assertEquals(pm.testDate?.toISOString(), "2025-02-18T13:02:00.000Z");
  assertEquals(pm.trimNote, null);
  assertEquals(
    parseFileName("6644 MASTER_131_TA_Test Data_12-13-2024_3-03 PM_ResTrimmed Correct.xls").trimNote,
    "ResTrimmed Correct",
  );
});

Deno.test("parseFileName() reads seconds, 12 AM/PM and ISO dates", () => {
  assertEquals(
    parseFileName("8444-shop0_12-7-2021 10-14-41 AM.xlsx").testDate?.toISOString(),
    "2021-12-07T10:14:41.000Z",
  );
  assertEquals(
    parseFileName("8563__TEST DATA_4-6-2018_12-03 PM.xls").testDate?.toISOString(),
    "2018-04-06T12:03:00.000Z",
  );
  assertEquals(
    parseFileName("8563_1_TEST DATA_4-6-2018_12-03 AM.xls").testDate?.toISOString(),
    "2018-04-06T00:03:00.000Z",
  );
  assertEquals(parseFileName("8340-1_5_2023-05-17.xlsx").testDate?.toISOString(), "2023-05-17T00:00:00.000Z");
  assertEquals(parseFileName("8340-1_5_1890-05-17.xlsx").testDate, null);
  assertEquals(parseFileName("8340-1_SN12345.xls").testDate, null);
});
