// Percentiles, the summary table, and the JSON renderings.
#include <lemu/stats/summary.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace lemu::stats {
namespace {

TEST(duration_samples, empty) {
  duration_samples s;
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.percentile(50), 0.0);
  EXPECT_EQ(s.percentile(100), 0.0);
  EXPECT_EQ(s.max(), 0.0);
}

TEST(duration_samples, one_sample_is_every_percentile) {
  duration_samples s;
  s.add(7.25);
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.percentile(1), 7.25);
  EXPECT_EQ(s.percentile(50), 7.25);
  EXPECT_EQ(s.percentile(99), 7.25);
  EXPECT_EQ(s.percentile(100), 7.25);
  EXPECT_EQ(s.max(), 7.25);
}

TEST(duration_samples, nearest_rank_on_one_to_hundred) {
  duration_samples s;
  for (int i = 100; i >= 1; --i) s.add(i); // reverse order: forces the lazy sort
  EXPECT_EQ(s.count(), 100u);
  EXPECT_EQ(s.percentile(50), 50.0);
  EXPECT_EQ(s.percentile(90), 90.0);
  EXPECT_EQ(s.percentile(99), 99.0);
  EXPECT_EQ(s.percentile(100), 100.0);
  EXPECT_EQ(s.percentile(0.5), 1.0);
  EXPECT_EQ(s.percentile(50.5), 51.0);
  EXPECT_EQ(s.max(), 100.0);
}

TEST(duration_samples, nearest_rank_textbook_example) {
  // Wikipedia "Percentile", nearest-rank method: {15, 20, 35, 40, 50}.
  duration_samples s;
  for (double v : {40.0, 15.0, 50.0, 35.0, 20.0}) s.add(v);
  EXPECT_EQ(s.percentile(5), 15.0);
  EXPECT_EQ(s.percentile(30), 20.0);
  EXPECT_EQ(s.percentile(40), 20.0);
  EXPECT_EQ(s.percentile(50), 35.0);
  EXPECT_EQ(s.percentile(100), 50.0);
}

TEST(duration_samples, ten_samples_p90_is_the_ninth) {
  duration_samples s;
  for (int i = 1; i <= 10; ++i) s.add(i * 1.5);
  EXPECT_EQ(s.percentile(90), 13.5);
  EXPECT_EQ(s.percentile(99), 15.0);
  EXPECT_EQ(s.percentile(10), 1.5);
}

TEST(duration_samples, adding_after_a_query_resorts) {
  duration_samples s;
  s.add(5);
  s.add(1);
  EXPECT_EQ(s.percentile(100), 5.0);
  s.add(3);
  s.add(0.5);
  EXPECT_EQ(s.percentile(50), 1.0); // {0.5, 1, 3, 5}: rank 2
  EXPECT_EQ(s.max(), 5.0);
  s.add(9);
  EXPECT_EQ(s.max(), 9.0);
}

TEST(duration_samples, values_come_back_as_their_decimal_not_float_noise) {
  duration_samples s;
  s.add(12.31);
  s.add(0.05);
  EXPECT_EQ(s.percentile(100), 12.31);
  EXPECT_EQ(s.percentile(50), 0.05);
  EXPECT_EQ(s.max(), 12.31);
}

TEST(duration_samples, past_the_exact_limit_memory_is_bounded_and_percentiles_within_a_quarter_percent) {
  duration_samples s(1000);
  std::vector<double> all;
  // 200,000 durations from 0.02 ms to about 2 s, in a scrambled order.
  for (std::uint64_t i = 0; i < 200000; ++i) {
    const double ms = 0.02 * std::pow(1.0000575, static_cast<double>((i * 7919) % 200000));
    s.add(ms);
    all.push_back(ms);
    if (i == 999) {
      EXPECT_FALSE(s.approximate());
    }
    if (i == 1000) {
      EXPECT_TRUE(s.approximate());
    }
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(s.count(), 200000u);
  EXPECT_EQ(s.max(), all.back()); // exact
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9}) {
    const double exact = all[static_cast<std::size_t>(std::ceil(p * 200000 / 100.0)) - 1];
    EXPECT_NEAR(s.percentile(p), exact, exact * 0.0026) << "p" << p;
  }
  EXPECT_EQ(s.percentile(100), all.back()); // never above the real maximum
  s.add(5000.0);
  EXPECT_EQ(s.max(), 5000.0);
  EXPECT_EQ(s.percentile(100), 5000.0);
}

TEST(duration_samples, histogram_keeps_zero_and_huge_values) {
  duration_samples s(2);
  for (const double ms : {0.0, 0.0, 0.0, 1e9}) s.add(ms);
  EXPECT_TRUE(s.approximate());
  EXPECT_LT(s.percentile(50), 0.0011);
  EXPECT_EQ(s.percentile(100), 1e9);
}

invocation_record record(bool cold, std::optional<double> init_ms, double duration_ms, status st,
                         std::uint32_t max_mem) {
  invocation_record r;
  r.cold = cold;
  r.init_ms = init_ms;
  r.duration_ms = duration_ms;
  r.status = st;
  r.max_memory_used_mb = max_mem;
  return r;
}

run_summary small_run() {
  run_summary s(128);
  s.add(record(true, 12.31, 1.2, status::success, 9));
  s.add(record(false, std::nullopt, 0.05, status::success, 10));
  s.add(record(false, std::nullopt, 0.07, status::error, 10));
  s.add(record(false, std::nullopt, 300.0, status::timeout, 12));
  s.add(record(true, 20.5, 2.5, status::crash, 40));
  return s;
}

TEST(run_summary, counts_and_samples) {
  const run_summary s = small_run();
  EXPECT_EQ(s.invocations(), 5u);
  EXPECT_EQ(s.succeeded(), 2u);
  EXPECT_EQ(s.errors(), 1u);
  EXPECT_EQ(s.timeouts(), 1u);
  EXPECT_EQ(s.crashes(), 1u);
  EXPECT_EQ(s.max_memory_used_mb(), 40u);
  EXPECT_EQ(s.init().count(), 2u);
  EXPECT_EQ(s.invoke_cold().count(), 2u);
  EXPECT_EQ(s.invoke_warm().count(), 3u); // durations of failed invocations count too
}

TEST(run_summary, numbers_are_what_the_table_shows) {
  const summary_numbers n = small_run().numbers();
  EXPECT_EQ(n.invocations, 5u);
  EXPECT_EQ(n.succeeded, 2u);
  EXPECT_EQ(n.memory_size_mb, 128u);
  EXPECT_EQ(n.max_memory_used_mb, 40u);
  EXPECT_EQ(n.init.count, 2u);
  EXPECT_NEAR(n.init.p50, 12.31, 1e-9);
  EXPECT_NEAR(n.init.max, 20.5, 1e-9);
  EXPECT_EQ(n.invoke_warm.count, 3u);
  EXPECT_NEAR(n.invoke_warm.p90, 300.0, 1e-9);
  EXPECT_EQ(n.totals_lines(),
            (std::vector<std::string>{"invocations 5 \u00b7 succeeded 2 \u00b7 errors 1 \u00b7 timeouts 1 \u00b7 crashes 1 "
                                      "\u00b7 max memory used 40 MB of 128 MB"}));
  const summary_numbers empty = run_summary(256).numbers();
  EXPECT_EQ(empty.init.count, 0u);
  EXPECT_EQ(empty.init.p99, 0.0);
  EXPECT_EQ(empty.memory_size_mb, 256u);
}

TEST(run_summary, table_header_matches_the_documented_layout) {
  const std::string table = run_summary(128).render_table();
  EXPECT_EQ(table.substr(0, table.find('\n')), "phase         count       p50       p90       p99       max");
}

TEST(run_summary, table_for_a_small_run) {
  EXPECT_EQ(small_run().render_table(),
            "phase         count       p50       p90       p99       max\n"
            "init (cold)       2   12.31ms   20.50ms   20.50ms   20.50ms\n"
            "invoke cold       2    1.20ms    2.50ms    2.50ms    2.50ms\n"
            "invoke warm       3    0.07ms  300.00ms  300.00ms  300.00ms\n"
            "invocations 5 \u00b7 succeeded 2 \u00b7 errors 1 \u00b7 timeouts 1 \u00b7 crashes 1 \u00b7 "
            "max memory used 40 MB of 128 MB\n");
}

TEST(run_summary, table_with_no_samples_shows_dashes) {
  EXPECT_EQ(run_summary(256).render_table(),
            "phase         count       p50       p90       p99       max\n"
            "init (cold)       0         -         -         -         -\n"
            "invoke cold       0         -         -         -         -\n"
            "invoke warm       0         -         -         -         -\n"
            "invocations 0 \u00b7 succeeded 0 \u00b7 errors 0 \u00b7 timeouts 0 \u00b7 crashes 0 \u00b7 "
            "max memory used - of 256 MB\n"); // no invocation: no number invented
}

TEST(run_summary, warm_only_run_has_empty_init_and_cold_rows) {
  run_summary s(128);
  s.add(record(false, std::nullopt, 0.3, status::success, 5));
  EXPECT_EQ(s.render_table(),
            "phase         count       p50       p90       p99       max\n"
            "init (cold)       0         -         -         -         -\n"
            "invoke cold       0         -         -         -         -\n"
            "invoke warm       1    0.30ms    0.30ms    0.30ms    0.30ms\n"
            "invocations 1 \u00b7 succeeded 1 \u00b7 errors 0 \u00b7 timeouts 0 \u00b7 crashes 0 \u00b7 "
            "max memory used 5 MB of 128 MB\n");
}

TEST(run_summary, wide_values_widen_their_column_and_stay_aligned) {
  run_summary s(128);
  s.add(record(false, std::nullopt, 123456.789, status::success, 1));
  const std::string table = s.render_table();
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[3], "invoke warm       1  123456.79ms  123456.79ms  123456.79ms  123456.79ms");
  EXPECT_EQ(lines[0].size(), lines[3].size());
  EXPECT_EQ(lines[1].size(), lines[3].size());
}

TEST(run_summary, to_json) {
  const nlohmann::json j = small_run().to_json();
  EXPECT_EQ(j["invocations"], 5);
  EXPECT_EQ(j["succeeded"], 2);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["timeouts"], 1);
  EXPECT_EQ(j["crashes"], 1);
  EXPECT_EQ(j["cancelled"], 0);
  EXPECT_EQ(j["memory_size_mb"], 128);
  EXPECT_EQ(j["max_memory_used_mb"], 40);
  EXPECT_EQ(j["init"], nlohmann::json::parse(R"({"count":2,"p50_ms":12.31,"p90_ms":20.5,"p99_ms":20.5,"max_ms":20.5})"));
  EXPECT_EQ(j["invoke_cold"], nlohmann::json::parse(R"({"count":2,"p50_ms":1.2,"p90_ms":2.5,"p99_ms":2.5,"max_ms":2.5})"));
  EXPECT_EQ(j["invoke_warm"],
            nlohmann::json::parse(R"({"count":3,"p50_ms":0.07,"p90_ms":300.0,"p99_ms":300.0,"max_ms":300.0})"));
  EXPECT_EQ(j.size(), 11u);
}

TEST(run_summary, to_json_without_samples_has_null_durations) {
  const nlohmann::json j = run_summary(128).to_json();
  EXPECT_EQ(j["init"], nlohmann::json::parse(R"({"count":0,"p50_ms":null,"p90_ms":null,"p99_ms":null,"max_ms":null})"));
  EXPECT_EQ(j["invoke_warm"]["count"], 0);
  EXPECT_EQ(j["invocations"], 0);
}

TEST(record_json, cold_success) {
  invocation_record r;
  r.index = 0;
  r.source = "events/sqs.json";
  r.line = 0;
  r.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
  r.environment_id = 1;
  r.cold = true;
  r.init_ms = 12.3;
  r.start_ms = 15.5;
  r.duration_ms = 1.2;
  r.billed_ms = 14;
  r.memory_size_mb = 128;
  r.max_memory_used_mb = 9;
  r.status = status::success;
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"index":0,"source":"events/sqs.json","line":0,
    "request_id":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","environment_id":1,"cold":true,"init_ms":12.3,
    "start_ms":15.5,"duration_ms":1.2,"billed_ms":14,"memory_size_mb":128,"max_memory_used_mb":9,"status":"success",
    "error_type":null,"sqs_batch":null})"));
  EXPECT_TRUE(j["error_type"].is_null());
}

TEST(record_json, warm_crash_from_json_lines) {
  invocation_record r;
  r.index = 41;
  r.source = "-";
  r.line = 7;
  r.request_id = "id-7";
  r.environment_id = 3;
  r.cold = false;
  r.duration_ms = 0.5;
  r.billed_ms = 1;
  r.memory_size_mb = 512;
  r.max_memory_used_mb = 20;
  r.status = status::crash;
  r.error_type = "Runtime.ExitError";
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j.size(), 15u);
  EXPECT_EQ(j["start_ms"], 0.0);
  EXPECT_EQ(j["index"], 41);
  EXPECT_EQ(j["source"], "-");
  EXPECT_EQ(j["line"], 7);
  EXPECT_EQ(j["environment_id"], 3);
  EXPECT_EQ(j["cold"], false);
  EXPECT_TRUE(j["init_ms"].is_null());
  EXPECT_EQ(j["duration_ms"], 0.5);
  EXPECT_EQ(j["billed_ms"], 1);
  EXPECT_EQ(j["memory_size_mb"], 512);
  EXPECT_EQ(j["status"], "crash");
  EXPECT_EQ(j["error_type"], "Runtime.ExitError");
}

TEST(record_json, status_names) {
  invocation_record r;
  r.status = status::timeout;
  EXPECT_EQ(to_json(r)["status"], "timeout");
  r.status = status::error;
  EXPECT_EQ(to_json(r)["status"], "error");
}

TEST(record_json, sqs_batch) {
  invocation_record r;
  r.sqs = sqs_batch{3, {"id-2"}, ""};
  nlohmann::json j = to_json(r);
  EXPECT_EQ(j["sqs_batch"], nlohmann::json::parse(R"({"messages":3,"failed":["id-2"],"whole_batch_reason":null})"));
  r.sqs = sqs_batch{2, {"a", "b"}, "the invocation failed"};
  j = to_json(r);
  EXPECT_EQ(j["sqs_batch"]["whole_batch_reason"], "the invocation failed");
}

TEST(run_summary, counts_sqs_messages) {
  run_summary s(128);
  invocation_record r;
  r.sqs = sqs_batch{3, {"id-2"}, ""};
  s.add(r);
  r.sqs = sqs_batch{2, {}, ""};
  s.add(r);
  EXPECT_EQ(s.sqs_messages(), 5u);
  EXPECT_EQ(s.sqs_failed(), 1u);
  EXPECT_NE(s.render_table().find("sqs messages 5 \u00b7 succeeded 4 \u00b7 failed 1\n"), std::string::npos);
  EXPECT_EQ(s.to_json()["sqs"], nlohmann::json::parse(R"({"messages":5,"succeeded":4,"failed":1})"));
}

invocation_record tenant_record(const std::string& tenant, bool cold, double duration_ms, status st = status::success) {
  invocation_record r = record(cold, std::nullopt, duration_ms, st, 1);
  r.tenant_id = tenant;
  return r;
}

TEST(run_summary, groups_by_tenant_with_more_than_one) {
  run_summary s(128);
  s.add(tenant_record("blue", true, 2.0));
  s.add(tenant_record("green", true, 3.0));
  s.add(tenant_record("blue", false, 1.0, status::error));
  const summary_numbers n = s.numbers();
  ASSERT_EQ(n.tenants.size(), 2u);
  EXPECT_EQ(n.tenants[0].tenant_id, "blue");
  EXPECT_EQ(n.tenants[0].count, 2u);
  EXPECT_EQ(n.tenants[0].cold, 1u);
  EXPECT_EQ(n.tenants[0].failed, 1u);
  EXPECT_DOUBLE_EQ(n.tenants[0].p50, 1.0);
  EXPECT_DOUBLE_EQ(n.tenants[0].p99, 2.0);
  const std::string table = s.render_table();
  EXPECT_NE(table.find("tenant        count   cold  failed       p50       p99\n"
                       "blue              2      1       1    1.00ms    2.00ms\n"
                       "green             1      1       0    3.00ms    3.00ms\n"),
            std::string::npos)
      << table;
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j.at("tenants").at(1), nlohmann::json::parse(
                                       R"({"tenant_id":"green","count":1,"cold":1,"failed":0,"p50_ms":3.0,"p99_ms":3.0})"));
}

TEST(run_summary, no_tenant_table_for_one_tenant_or_none) {
  run_summary none(128);
  none.add(record(true, 1.0, 1.0, status::success, 1));
  EXPECT_TRUE(none.numbers().tenants.empty());
  EXPECT_FALSE(none.to_json().contains("tenants"));
  EXPECT_EQ(none.render_table().find("tenant "), std::string::npos);
  run_summary one(128);
  one.add(tenant_record("blue", true, 1.0));
  EXPECT_EQ(one.numbers().tenants.size(), 1u);
  EXPECT_EQ(one.render_table().find("tenant "), std::string::npos);
  run_summary mixed(128);
  mixed.add(tenant_record("blue", true, 1.0));
  mixed.add(tenant_record("", true, 1.0));
  EXPECT_NE(mixed.render_table().find("\n(no tenant)       1 "), std::string::npos) << mixed.render_table();
  EXPECT_TRUE(mixed.to_json().at("tenants").at(0).at("tenant_id").is_null());
}

TEST(run_summary, tenants_past_the_limit_share_one_row) {
  run_summary s(128);
  for (std::size_t i = 0; i < run_summary::max_tenants + 5; ++i) s.add(tenant_record("t" + std::to_string(i), true, 1.0));
  const summary_numbers n = s.numbers();
  ASSERT_EQ(n.tenants.size(), run_summary::max_tenants + 1);
  EXPECT_TRUE(n.tenants.back().others);
  EXPECT_EQ(n.tenants.back().count, 5u);
  EXPECT_NE(s.render_table().find("1001 tenants (per-tenant rows omitted; see --json)\n"), std::string::npos);
}

TEST(to_json_record, tenant_id_only_with_a_tenant) {
  invocation_record r;
  EXPECT_FALSE(to_json(r).contains("tenant_id"));
  r.tenant_id = "blue";
  EXPECT_EQ(to_json(r).at("tenant_id"), "blue");
}

} // namespace
} // namespace lemu::stats
