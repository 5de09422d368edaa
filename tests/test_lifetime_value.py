"""Lifetime value models on the real CDNOW sample reproduce the published results; customer_value behaves.

Published figures (39-week calibration ending 1997-09-30, time in weeks):
- BG/NBD, Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way": r = 0.243, alpha = 4.414,
  a = 0.793, b = 2.426, LL = -9582.4; worked example E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226.
- Pareto/NBD on the same data: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0.
- Gamma-Gamma, Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", 946 repeat customers:
  p = 6.25, q = 3.74, gamma = 15.44.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from scipy.special import gammaln

from crmlib.analyze import (
    MODELS,
    IndependenceWarning,
    ModelError,
    PurchaseModel,
    customer_value,
    fit_purchases,
    fit_spend,
)
from crmlib.analyze.purchases import total_log_likelihood
from crmlib.collect import load_cdnow
from crmlib.errors import CrmError
from crmlib.segment.summary import rfm_summary
from crmlib.units import DAYS_PER_MONTH

CALIBRATION_END = "1997-09-30"
PAPER_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PAPER_PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
# The reference: lifetimes' fitter for each model, its fit options, and whether its penalty is on the total.
LIFETIMES = {
    "bgnbd": (BetaGeoFitter, {}, False),
    "mbgnbd": (ModifiedBetaGeoFitter, {}, False),
    "pnbd": (ParetoNBDFitter, {"initial_params": np.ones(4), "tol": 1e-9, "maxiter": 10_000}, True),
}


@pytest.fixture(scope="module")
def weeks() -> pd.DataFrame:
    return rfm_summary(load_cdnow(), end=CALIBRATION_END, freq="W")


@pytest.fixture(scope="module")
def fits(weeks) -> dict:
    return {name: fit_purchases(weeks, name) for name in MODELS}


@pytest.fixture(scope="module")
def spend(weeks):
    return fit_spend(weeks)


# --- published parameters and log-likelihoods --------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, published, log_likelihood", [("bgnbd", PAPER_BGNBD, -9582.4), ("pnbd", PAPER_PNBD, -9595.0)]
)
def test_purchase_models_reproduce_the_papers(fits, model, published, log_likelihood):
    fit = fits[model]
    assert list(fit.params) == list(published)
    for name, value in published.items():  # published to 3 decimals
        assert fit.params[name] == pytest.approx(value, abs=1e-3), name
    assert fit.log_likelihood == pytest.approx(log_likelihood, abs=0.1)  # published to 1 decimal
    assert fit.n_customers == 2357


def test_the_bgnbd_log_likelihood_is_the_papers_formula_summed(fits, weeks):
    """Equation (6) of the BG/NBD paper, written out here independently of lifetimes."""
    r, alpha, a, b = fits["bgnbd"].params.values()
    x, t_x, T = (weeks[c].to_numpy() for c in ("frequency", "recency", "T"))
    a_1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a_2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a_3 = -(r + x) * np.log(alpha + T)
    a_4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
    total = (a_1 + a_2 + np.logaddexp(a_3, a_4)).sum()
    assert fits["bgnbd"].log_likelihood == pytest.approx(total, abs=1e-6)


def test_gamma_gamma_reproduces_the_note(spend, weeks):
    assert spend.n_customers == 946
    published = {"p": 6.25, "q": 3.74, "v": 15.44}  # published to 2 decimals
    for name, value in published.items():
        assert spend.params[name] == pytest.approx(value, abs=0.005), name
    # The total log-likelihood, from the note's equation written out here, over the 946 repeat customers.
    repeat = weeks[weeks["frequency"] > 0]
    x, z = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()

    def log_likelihood(p, q, v):
        return (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(z)
            + p * x * np.log(x)
            - (p * x + q) * np.log(v + x * z)
        ).sum()

    best = log_likelihood(**spend.params)
    assert spend.log_likelihood == pytest.approx(best, abs=1e-6)
    assert spend.log_likelihood == pytest.approx(-4055.92, abs=0.01)  # this fit's value, see the report
    for name in published:  # it is the maximum: moving any parameter 1% either way lowers it
        for factor in (0.99, 1.01):
            assert log_likelihood(**{**spend.params, name: spend.params[name] * factor}) < best


def test_spend_assumption_holds_on_cdnow(spend):
    assert spend.frequency_spend_correlation == pytest.approx(0.11, abs=0.01)  # the note reports 0.11
    assert spend.independence_ok


@pytest.mark.parametrize("model", [PurchaseModel.from_params("bgnbd", PAPER_BGNBD), "fitted"])
def test_the_bgnbd_papers_worked_example(fits, model):
    model = fits["bgnbd"] if model == "fitted" else model
    customer = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]}, index=["1"])
    assert model.expected_purchases(39, customer).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_the_papers_cumulative_tracking_at_week_78(fits, weeks):
    """Figure 2 style: repeat purchases by the cohort from its first purchases to week 78, actual vs the BG/NBD.

    Actual: 2,457 repeat purchase days in the calibration plus 1,882 in the 39-week holdout.
    """
    expected = fits["bgnbd"].expected_purchases_new_customer(weeks["T"].to_numpy() + 39).sum()
    assert weeks["frequency"].sum() == 2457
    assert expected == pytest.approx(2457 + 1882, rel=0.05)


# --- behaviour --------------------------------------------------------------------------------------------------


def test_mbgnbd_lets_customers_without_repeat_be_inactive(fits, weeks):
    once = weeks[weeks["frequency"] == 0]
    assert np.isfinite(fits["mbgnbd"].log_likelihood)
    assert (fits["mbgnbd"].p_alive(once) < 1).all()
    assert (fits["bgnbd"].p_alive(once) == 1).all()
    for fit in fits.values():
        alive = fit.p_alive(weeks)
        assert alive.between(0, 1).all() and alive.index.equals(weeks.index)


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
@pytest.mark.parametrize("model", list(MODELS))
def test_compressed_fit_equals_lifetimes_plain_fit(weeks, model, penalizer):
    fitter_class, options, per_customer = LIFETIMES[model]
    x, t_x, T = (weeks[c].to_numpy() for c in ("frequency", "recency", "T"))
    # lifetimes' Pareto/NBD adds its penalty to the total, not the mean, negative log-likelihood: n times weaker
    scaled = penalizer * len(weeks) if per_customer else penalizer
    plain = fitter_class(penalizer_coef=scaled).fit(x, t_x, T, **options)  # a row per customer
    params = dict(plain.params_)
    fit = fit_purchases(weeks, model, penalizer=penalizer)
    np.testing.assert_allclose(list(fit.params.values()), [params[n] for n in fit.params], rtol=2e-4)
    plain_log_likelihood = total_log_likelihood(model, params, x, t_x, T, np.ones_like(x))
    if penalizer == 0:
        assert fit.log_likelihood >= plain_log_likelihood - 1e-6  # crmlib's optimum is at least as high
    assert fit.log_likelihood == pytest.approx(plain_log_likelihood, abs=1e-3)
    assert fit.n_patterns < len(weeks) / 2  # the fit really ran on fewer, weighted rows


def test_pareto_nbd_stays_finite_for_heavy_buyers_in_days():
    """lifetimes' Pareto/NBD formulas give NaN for this customer in raw days; crmlib evaluates in rescaled time."""
    params = {"r": 0.5065, "alpha": 75.81, "s": 0.7295, "beta": 173.2}  # a daily fit, 2 years of data
    heavy = pd.DataFrame({"frequency": [108.0, 3.0], "recency": [378.0, 100.0], "T": [378.0, 700.0]})
    model = PurchaseModel.from_params("pnbd", params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitter = ParetoNBDFitter()
        fitter.params_ = pd.Series(params)
        assert np.isnan(fitter.conditional_probability_alive(108.0, 378.0, 378.0))  # the limitation guarded against
        assert np.isfinite(model.p_alive(heavy)).all() and np.isfinite(model.expected_purchases(30, heavy)).all()
    assert model.p_alive(heavy).iloc[0] == pytest.approx(1.0, abs=1e-6)  # bought on the last day: surely alive


def test_expected_purchases_grow_with_the_horizon(fits, weeks):
    for fit in fits.values():
        short, long = fit.expected_purchases(10, weeks), fit.expected_purchases(20, weeks)
        assert (long > short).all() and (short > 0).all()
        assert (fit.expected_purchases(0, weeks) == 0).all()


def test_repr_is_readable(fits):
    assert repr(fits["bgnbd"]).startswith("PurchaseModel('bgnbd', r=0.2426, alpha=4.414")


def test_bad_input_gives_crm_errors(weeks):
    with pytest.raises(ValueError, match="'bgnbd', 'pnbd', 'mbgnbd'"):
        fit_purchases(weeks, "nbd")
    with pytest.raises(CrmError, match="empty"):
        fit_purchases(weeks.iloc[:0])
    with pytest.raises(CrmError, match="none of the 1,411 customers made a repeat purchase"):
        fit_purchases(weeks[weeks["frequency"] == 0])
    with pytest.raises(CrmError, match="recency greater than T for 1 customer"):
        fit_purchases(weeks.assign(recency=weeks["recency"].where(weeks.index != "5", 99.0)))
    with pytest.raises(CrmError, match="lacks column"):
        fit_purchases(weeks.drop(columns="T"))
    with pytest.raises(CrmError, match="repeat purchase"):
        fit_spend(weeks[weeks["frequency"] == 0])


def test_spend_warns_when_frequency_and_spend_correlate():
    rng = np.random.default_rng(3)
    frequency = rng.integers(1, 20, 500).astype(float)
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": frequency,
            "T": frequency + 5,
            "monetary_value": 20 * frequency * rng.gamma(20, 1 / 20, 500),
        }
    )
    with pytest.warns(IndependenceWarning, match="assumes they are independent"):
        model = fit_spend(summary)
    assert not model.independence_ok and model.frequency_spend_correlation > 0.3


def test_expected_spend_of_one_time_buyers_is_the_population_mean(spend, weeks):
    expected = spend.expected_spend(weeks)
    once = weeks["frequency"] == 0
    assert expected[once].eq(spend.population_mean).all()
    p, q, v = spend.params.values()
    assert spend.population_mean == pytest.approx(p * v / (q - 1))
    refunded = pd.DataFrame({"frequency": [3.0], "monetary_value": [-5.0]})  # repeat days that net to a refund
    assert spend.expected_spend(refunded).iloc[0] == spend.population_mean
    repeat = weeks[~once]  # between the customer's own mean and the population mean
    low = np.minimum(repeat["monetary_value"], spend.population_mean)
    high = np.maximum(repeat["monetary_value"], spend.population_mean)
    assert ((expected[~once] >= low - 1e-9) & (expected[~once] <= high + 1e-9)).all()


# --- customer_value -------------------------------------------------------------------------------------------


def test_without_discount_value_is_purchases_times_spend(fits, spend, weeks):
    for fit in fits.values():
        value = customer_value(fit, spend, weeks, months=12, annual_discount_rate=0.0, freq="W")
        expected = fit.expected_purchases(12 * DAYS_PER_MONTH / 7, weeks) * spend.expected_spend(weeks)
        np.testing.assert_allclose(value, expected, rtol=1e-9)
        assert value.index.equals(weeks.index)


def test_value_by_hand_for_one_month():
    """One month, 10% a year: the month's purchases times spend, discounted by 1.1 ** (1 / 12)."""
    model = PurchaseModel.from_params("bgnbd", PAPER_BGNBD)
    customer = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]})
    spend = fit_spend(rfm_summary(load_cdnow(), end=CALIBRATION_END, freq="W"))
    purchases = model.expected_purchases(DAYS_PER_MONTH / 7, customer).iloc[0]
    by_hand = purchases * spend.expected_spend(customer).iloc[0] / 1.1 ** (1 / 12)
    value = customer_value(model, spend, customer, months=1, annual_discount_rate=0.10, freq="W")
    assert value.iloc[0] == pytest.approx(by_hand, rel=1e-12)


def test_value_grows_with_months_and_falls_with_discount(fits, spend, weeks):
    value = {
        (months, rate): customer_value(fits["pnbd"], spend, weeks, months, rate, "W")
        for months in (6, 12, 24)
        for rate in (0.0, 0.1, 0.3)
    }
    for rate in (0.0, 0.1, 0.3):
        assert (value[6, rate] <= value[12, rate]).all() and (value[12, rate] <= value[24, rate]).all()
        assert (value[24, rate] > value[12, rate]).all()
    for months in (6, 12, 24):
        assert (value[months, 0.0] >= value[months, 0.1]).all() and (value[months, 0.1] > value[months, 0.3]).all()


def test_value_is_the_same_in_days_and_weeks():
    """The models are unit-free (alpha scales with time), so days and weeks must give the same value."""
    transactions = load_cdnow()
    values = []
    for freq in ("D", "W"):
        summary = rfm_summary(transactions, end=CALIBRATION_END, freq=freq)
        values.append(customer_value(fit_purchases(summary), fit_spend(summary), summary, 12, 0.1, freq))
    np.testing.assert_allclose(values[0], values[1], rtol=1e-3)


def test_value_rejects_bad_arguments(fits, spend, weeks):
    for bad in ({"months": 0}, {"months": 1.5}, {"annual_discount_rate": -0.1}, {"freq": "M"}):
        with pytest.raises(CrmError):
            customer_value(fits["bgnbd"], spend, weeks, **{"freq": "W", **bad})


@st.composite
def summaries(draw):
    """Random weekly RFM summaries as rfm_summary makes them: whole days / 7, T up to two years, purchase days
    distinct (so recency is at least frequency days), spend only for repeat customers."""
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 730), st.integers(0, 40), st.floats(0.0, 1.0), st.floats(0.01, 5000.0)),
            min_size=1,
            max_size=30,
        )
    )
    age, frequency, share, spend = (np.array(column, dtype=float) for column in zip(*rows))
    frequency = np.minimum(frequency, age)
    recency = np.where(frequency > 0, np.round(frequency + share * (age - frequency)), 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency / 7,
            "T": age / 7,
            "monetary_value": np.where(frequency > 0, spend, 0.0),
        }
    )


@settings(max_examples=100, deadline=None)
@given(
    summary=summaries(),
    model=st.sampled_from(list(MODELS)),
    months=st.integers(1, 36),
    more=st.integers(1, 24),
    rate=st.floats(0.0, 1.0),
    higher=st.floats(0.001, 1.0),
)
def test_value_properties(fits, spend, summary, model, months, more, rate, higher):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hypergeometric terms at extreme inputs
        value = customer_value(fits[model], spend, summary, months, rate, "W")
        longer = customer_value(fits[model], spend, summary, months + more, rate, "W")
        dearer = customer_value(fits[model], spend, summary, months, rate + higher, "W")
    assert np.isfinite(value).all() and (value >= 0).all()
    assert (longer >= value * (1 - 1e-12)).all()
    assert (dearer <= value * (1 + 1e-12)).all()


def test_model_error_is_a_crm_error():
    assert issubclass(ModelError, CrmError)
