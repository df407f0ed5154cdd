#!/usr/bin/env python3
"""Tests of the JBSQ report's ideal (jbsq-report.py): the analytic M/M/c against closed forms and textbook values,
the M/G/c simulation against the analytic M/M/c and against cases whose answer is known.
Run: python3 -m unittest discover -s benchmarks/scripts -p 'test_*.py' (tests/Tool.Tests runs it too)."""
import importlib.util
import math
import os
import unittest

_spec = importlib.util.spec_from_file_location("jbsq_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "jbsq-report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def erlang_c_from_b(c, rho):
    """Erlang C through the Erlang B recursion, an independent route to the same number."""
    a, b = c * rho, 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1 - rho * (1 - b))


class ErlangC(unittest.TestCase):
    def test_one_server_waits_with_probability_rho(self):
        for rho in (0.1, 0.5, 0.9):
            self.assertAlmostEqual(report.erlang_c(1, rho), rho, places=12)

    def test_two_servers_at_half_load_wait_a_third_of_the_time(self):
        # c = 2, a = 1: C = a^2 / (2 - a) / (1 + a + a^2 / (2 - a)) = 1/3.
        self.assertAlmostEqual(report.erlang_c(2, 0.5), 1 / 3, places=12)

    def test_matches_the_erlang_b_recursion(self):
        for c in (2, 8, 16):
            for rho in (0.2, 0.5, 0.8, 0.95):
                self.assertAlmostEqual(report.erlang_c(c, rho), erlang_c_from_b(c, rho), places=10)


class MmcPercentile(unittest.TestCase):
    def test_mm1_response_time_is_exponential_with_rate_mu_minus_lambda(self):
        # M/M/1: the response time is exponential with rate mu (1 - rho), so its q-quantile is -ln(1 - q) / (mu - lambda).
        for rho in (0.5, 0.8, 0.9):
            for q in (0.5, 0.99):
                expected = -math.log(1 - q) * 1000 / (1 - rho)
                self.assertAlmostEqual(report.mmc_percentile(1, 1000, rho, q), expected, delta=expected * 1e-6)

    def test_at_a_vanishing_load_the_response_time_is_the_service_time(self):
        self.assertAlmostEqual(report.mmc_percentile(8, 1000, 1e-6, 0.99), -math.log(0.01) * 1000, delta=1)


class MgcSimulation(unittest.TestCase):
    def test_with_exponential_service_it_agrees_with_the_analytic_mmc(self):
        kind, mean, sampler = report.parse_model("exp:1000")
        p50, p99 = report.mgc_percentiles(8, sampler, mean, 0.8, (0.5, 0.99), n=300_000, seed=3)
        self.assertAlmostEqual(p50, report.mmc_percentile(8, 1000, 0.8, 0.5), delta=60)
        self.assertAlmostEqual(p99, report.mmc_percentile(8, 1000, 0.8, 0.99), delta=0.06 * 5152)

    def test_a_fixed_service_time_at_a_low_load_never_waits(self):
        kind, mean, sampler = report.parse_model("fixed:700")
        self.assertEqual(report.mgc_percentiles(8, sampler, mean, 0.05, (0.5, 0.99), n=20_000), [700, 700])

    def test_the_bimodal_models_mean_and_that_its_ideal_is_at_least_its_long_mode(self):
        kind, mean, sampler = report.parse_model("bimodal:0.9:500:5000")
        self.assertEqual(kind, "bimodal")
        self.assertAlmostEqual(mean, 950)
        # 10% of requests take 5 ms: the p99 can never be under 5 ms, and at 80% load it waits too.
        p99 = report.ideal(8, (kind, mean, sampler), 0.8, (0.99,))[0]
        self.assertGreater(p99, 5000)
        self.assertLess(p99, 20_000)

    def test_overload_has_no_finite_ideal(self):
        self.assertEqual(report.ideal(8, report.parse_model("exp:1000"), 1.0, (0.99,)), [float("inf")])


if __name__ == "__main__":
    unittest.main()
