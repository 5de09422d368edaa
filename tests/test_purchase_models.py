"""crmlib's own likelihoods (crmlib.analyze.models) against lifetimes 0.11.3, the reference, and at their edges.

- every model's log-likelihood and predictions equal lifetimes' at the papers' CDNOW estimates;
- the analytic gradients equal numerical derivatives;
- the common-drop-out limits equal the full models with a, b very large;
- where lifetimes' BG/NBD fit fails (a year of a few thousand customers, most of them one-time buyers; a year in
  which everyone has the same drop-out probability), crmlib reports the boundary with the supremum of the
  likelihood to 0.01; a fit without any optimum says why.
"""

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import ConvergenceError

from crmlib.analyze import ModelError, PurchaseModel, fit_purchases, fit_spend
from crmlib.analyze.models import PURCHASE_FAMILIES, bgnbd, gamma_gamma, mbgnbd, pnbd
from crmlib.analyze.models.mle import maximize
from crmlib.analyze.purchases import PATTERN, total_log_likelihood, unique_rows
from crmlib.collect import load_cdnow
from crmlib.segment.summary import rfm_summary

CDNOW = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "mbgnbd": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "pnbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}
FITTERS = {"bgnbd": BetaGeoFitter, "mbgnbd": ModifiedBetaGeoFitter, "pnbd": ParetoNBDFitter}


@pytest.fixture(scope="module")
def weeks() -> pd.DataFrame:
    return rfm_summary(load_cdnow(), end="1997-09-30", freq="W")


def lifetimes_fitter(model: str, params: dict):
    fitter = FITTERS[model]()
    fitter.params_ = pd.Series(params)
    return fitter


@pytest.mark.parametrize("model", list(CDNOW))
def test_predictions_equal_lifetimes(weeks, model):
    ours, theirs = PurchaseModel.from_params(model, CDNOW[model]), lifetimes_fitter(model, CDNOW[model])
    x, t_x, T = (weeks[c].to_numpy() for c in PATTERN)
    np.testing.assert_allclose(ours.p_alive(weeks), theirs.conditional_probability_alive(x, t_x, T), rtol=1e-9)
    np.testing.assert_allclose(
        ours.expected_purchases(39, weeks),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T),
        rtol=1e-9,
    )
    t = np.array([1.0, 13.0, 39.0, 78.0])
    np.testing.assert_allclose(
        ours.expected_purchases_new_customer(t), theirs.expected_number_of_purchases_up_to_time(t), rtol=1e-9
    )


def test_no_purchase_in_a_horizon_equals_lifetimes_and_a_simulation(weeks):
    """Pareto/NBD against lifetimes' conditional probability of 0 purchases; BG/NBD and MBG/NBD against a
    simulation of their posterior: gone, or alive and no purchase from the posterior rate."""
    sample = weeks.iloc[::50]
    x, t_x, T = (sample[c].to_numpy() for c in PATTERN)
    theirs = lifetimes_fitter("pnbd", CDNOW["pnbd"])
    expected = [theirs.conditional_probability_of_n_purchases_up_to_time(0, 13.0, *row) for row in zip(x, t_x, T)]
    ours = PurchaseModel.from_params("pnbd", CDNOW["pnbd"]).p_no_purchase(13.0, sample)
    np.testing.assert_allclose(ours, expected, rtol=1e-8)
    rng = np.random.default_rng(0)
    one = weeks.loc[["1", "18"]]  # two histories of the BG/NBD paper's data
    for model in ("bgnbd", "mbgnbd"):
        fitted = PurchaseModel.from_params(model, CDNOW[model])
        alive = fitted.p_alive(one).to_numpy()
        r, alpha = CDNOW[model]["r"], CDNOW[model]["alpha"]
        rates = rng.gamma(r + one["frequency"].to_numpy(), 1 / (alpha + one["T"].to_numpy()), (400_000, 2))
        simulated = 1 - alive * (1 - np.exp(-13.0 * rates)).mean(axis=0)
        np.testing.assert_allclose(fitted.p_no_purchase(13.0, one), simulated, atol=2e-3)


@pytest.mark.parametrize("model", list(CDNOW))
def test_log_likelihood_equals_lifetimes(weeks, model):
    """Per customer, against lifetimes' own likelihood functions (private there, so only the tests call them)."""
    x, t_x, T = (weeks[c].to_numpy() for c in PATTERN)
    params = np.array(list(CDNOW[model].values()))
    ours = PURCHASE_FAMILIES[model].log_likelihood(params, x, t_x, T)
    if model == "pnbd":
        theirs = ParetoNBDFitter._conditional_log_likelihood(params, x, t_x, T)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    else:  # the BG/NBD-like fitters give the mean negative log-likelihood over the weights
        for i in range(0, len(x), 400):
            one = slice(i, i + 1)
            theirs = -FITTERS[model]._negative_log_likelihood(np.log(params), x[one], t_x[one], T[one], np.ones(1), 0)
            assert ours[i] == pytest.approx(theirs, rel=1e-10)
    published = {"bgnbd": -9582.4, "pnbd": -9595.0}
    if model in published:
        assert ours.sum() == pytest.approx(published[model], abs=0.1)


def test_spend_model_equals_lifetimes(weeks):
    repeat = weeks[weeks["frequency"] > 0]
    params = {"p": 6.25, "q": 3.744, "v": 15.44}
    theirs = GammaGammaFitter()
    theirs.params_ = pd.Series(params)
    x, m = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    np.testing.assert_allclose(
        gamma_gamma.conditional_expected_spend(np.array(list(params.values())), x, m),
        theirs.conditional_expected_average_profit(x, m),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "family",
    [bgnbd.FAMILY, bgnbd.COMMON, mbgnbd.FAMILY, mbgnbd.COMMON, gamma_gamma.FAMILY],
    ids=["bgnbd", "bgnbd-common", "mbgnbd", "mbgnbd-common", "gamma-gamma"],
)
def test_analytic_gradients_equal_numerical_derivatives(weeks, family):
    rng = np.random.default_rng(5)
    if family is gamma_gamma.FAMILY:
        repeat = weeks[weeks["frequency"] > 0]
        data = (repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy())
    else:
        data = tuple(weeks[c].to_numpy() / (38.86 if c != "frequency" else 1) for c in PATTERN)
    for _ in range(5):
        theta = np.array(
            [rng.uniform(0.05, 0.95) if k == "logit" else rng.uniform(0.2, 5.0) for k in family.parameter_kinds]
        )
        values, analytic = family.gradient(theta, *data)
        np.testing.assert_allclose(values, family.log_likelihood(theta, *data), rtol=1e-12, atol=1e-12)
        for i in range(len(theta)):
            step = np.zeros_like(theta)
            step[i] = 1e-6 * theta[i]
            numeric = (family.log_likelihood(theta + step, *data) - family.log_likelihood(theta - step, *data)) / (
                2 * step[i]
            )
            np.testing.assert_allclose(analytic[:, i], numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "theta, rtol",
    [
        ([0.553, 10.578 / 38.86, 0.606, 11.669 / 38.86], 1e-10),  # CDNOW, in time where the oldest T is 1
        ([0.51, 0.105, 0.74, 0.24], 1e-10),  # the fit of benchmarks/bench_fit.py, alpha < beta
        ([5.0, 0.5, 5.0, 0.5001], 1e-10),  # alpha = beta, nearly
        ([0.24, 0.04, 0.8, 0.01], 1e-10),
        # alpha 300 times beta: (beta + tau)^-(s + 1) is steep at tau = 0 (x = 0); the quadrature loses digits
        ([2.0, 3.0, 0.1, 0.01], 1e-8),
    ],
)
def test_the_pareto_nbd_gradient_equals_numerical_derivatives(weeks, theta, rtol):
    """On CDNOW's patterns and on made-up ones with t_x = T, x = 0, large x, T up to 300 and short t_x; against
    the hyp2f1 likelihood, so the quadrature's values and derivatives are both checked."""
    rng = np.random.default_rng(8)
    cdnow = [weeks[c].to_numpy() / (38.86 if c != "frequency" else 1) for c in PATTERN]
    T = np.r_[rng.uniform(0.01, 1, 300), rng.uniform(1, 300, 300)]
    x = rng.integers(0, 300, 600).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 600) ** rng.choice([0.05, 1.0, 5.0], 600), 0.0)
    t_x[::10] = T[::10]
    x[::7] = 0.0
    t_x[::7] = 0.0
    data = [np.r_[c, made] for c, made in zip(cdnow, (x, t_x, T))]
    assert (data[1] == data[2]).any() and (data[0] == 0).any() and data[0].max() > 250
    theta = np.array(theta)
    values, analytic = pnbd.gradient(theta, *data)
    np.testing.assert_allclose(values, pnbd.log_likelihood(theta, *data), rtol=rtol, atol=rtol)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * theta[i]
        numeric = (pnbd.log_likelihood(theta + step, *data) - pnbd.log_likelihood(theta - step, *data)) / (2 * step[i])
        np.testing.assert_allclose(analytic[:, i], numeric, rtol=1e-5, atol=1e-5)


def test_the_pareto_nbd_fit_reaches_lifetimes_optimum(weeks):
    """Started at lifetimes' optimum (fitted tightly), the gradient-based fit stays there; from its own starts it
    reaches it too."""
    x, t_x, T = (weeks[c].to_numpy() for c in PATTERN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ParetoNBDFitter().fit(x, t_x, T, tol=1e-10, maxiter=10_000, initial_params=np.ones(4))
    ours = fit_purchases(weeks, "pnbd")
    np.testing.assert_allclose(list(ours.params.values()), list(theirs.params_), rtol=1e-4)
    total = total_log_likelihood("pnbd", dict(theirs.params_), x, t_x, T, np.ones_like(x))
    assert ours.log_likelihood >= total - 1e-6


@pytest.mark.parametrize("module", [bgnbd, mbgnbd], ids=["bgnbd", "mbgnbd"])
def test_the_common_dropout_limit_is_the_full_model_with_huge_a_and_b(weeks, module):
    x, t_x, T = (weeks[c].to_numpy() / (38.86 if c != "frequency" else 1) for c in PATTERN)
    r, alpha, p = 0.3, 2.0, 0.2
    # the gap shrinks like x^2 / (a + b); beyond 1e7 the log-gamma terms of the full model lose digits instead
    limit, huge = np.array([r, alpha, p]), np.array([r, alpha, p * 1e7, (1 - p) * 1e7])
    np.testing.assert_allclose(
        module.FAMILY.log_likelihood(huge, x, t_x, T), module.COMMON.log_likelihood(limit, x, t_x, T), atol=1e-4
    )
    np.testing.assert_allclose(
        module.FAMILY.p_alive(huge, x, t_x, T), module.COMMON.p_alive(limit, x, t_x, T), atol=1e-6
    )
    big = np.array([r, alpha, p * 1e6, (1 - p) * 1e6])  # hyp2f1 stays accurate up to here
    np.testing.assert_allclose(
        module.FAMILY.conditional_expected(big, 0.5, x, t_x, T),
        module.COMMON.conditional_expected(limit, 0.5, x, t_x, T),
        rtol=1e-4,
    )
    np.testing.assert_allclose(
        module.FAMILY.expected(big, np.array([0.5, 2.0])),
        module.COMMON.expected(limit, np.array([0.5, 2.0])),
        rtol=1e-4,
    )


# --- data where lifetimes' BG/NBD fails ---------------------------------------------------------------------


def simulate(seed, n, weeks, r, alpha, a, b, existing, drop_at_first=True) -> pd.DataFrame:
    """An RFM summary (weeks, whole days) of a shop's customers after `weeks`: `existing` of them first buy in the
    first month (the base a new export starts with), the rest over the window; BG/NBD purchases, and with
    `drop_at_first` a customer may also leave right after the first purchase (as in MBG/NBD)."""
    rng = np.random.default_rng(seed)
    first = np.where(rng.random(n) < existing, rng.uniform(0, 4, n), rng.uniform(0, weeks, n))
    rate, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    rows = []
    for i in range(n):
        t, times = first[i], [first[i]]
        alive = not (drop_at_first and rng.random() < p[i])
        while alive:
            t += rng.exponential(1 / rate[i])
            if t > weeks:
                break
            times.append(t)
            alive = rng.random() >= p[i]
        days = np.unique(np.floor(np.array(times) * 7)) / 7
        rows.append((len(days) - 1.0, days[-1] - days[0], weeks - days[0]))
    return pd.DataFrame(rows, columns=list(PATTERN))


def lifetimes_bgnbd(summary: pd.DataFrame):
    patterns, weights, _ = unique_rows(summary, PATTERN)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BetaGeoFitter().fit(*patterns.T, weights=weights)


def supremum_check(summary: pd.DataFrame, fit: PurchaseModel) -> None:
    """The reported log-likelihood is the supremum of BG/NBD's: approached by a, b -> inf at the reported p, and
    not beaten by a search of the full model from many starts."""
    x, t_x, T = (summary[c].to_numpy() for c in PATTERN)
    ones = np.ones_like(x)
    p = fit.common_dropout
    for size in (1e6, 1e7):  # beyond, the log-gamma terms of the full model lose digits
        approach = total_log_likelihood("bgnbd", {**fit.params, "a": p * size, "b": (1 - p) * size}, x, t_x, T, ones)
        assert approach == pytest.approx(fit.log_likelihood, abs=0.01)
    patterns, weights, _ = unique_rows(summary, PATTERN)
    scale = 1 / patterns[:, 2].max()
    data = (patterns[:, 0], patterns[:, 1] * scale, patterns[:, 2] * scale)
    rng = np.random.default_rng(0)
    starts = [np.exp(rng.uniform(-2, 3, 4)) for _ in range(12)]
    searched = maximize(PURCHASE_FAMILIES["bgnbd"], data, weights.astype(float), starts)
    assert searched.log_likelihood + float(weights @ patterns[:, 0]) * np.log(scale) <= fit.log_likelihood + 0.01


def test_a_year_of_mostly_one_time_buyers_fits_where_lifetimes_fails():
    summary = simulate(30, n=3111, weeks=52, r=0.23, alpha=8.32, a=3.09, b=29.73, existing=0.69)
    assert (summary["frequency"] == 0).mean() > 0.6
    with pytest.raises(ConvergenceError):
        lifetimes_bgnbd(summary)
    fit = fit_purchases(summary, "bgnbd")
    assert fit.common_dropout == pytest.approx(3.09 / (3.09 + 29.73), abs=0.03)  # near the true mean drop-out
    assert fit.params["a"] == fit.params["b"] == np.inf
    supremum_check(summary, fit)
    alive, expected = fit.p_alive(summary), fit.expected_purchases(26, summary)
    assert alive.between(0, 1).all() and np.isfinite(expected).all() and (expected >= 0).all()
    assert "the same for every customer" in repr(fit)


def test_when_everyone_drops_out_alike_the_fit_is_the_boundary():
    """Every customer drops out with p = 0.2 after each repeat purchase: the supremum is the limit a, b -> inf."""
    summary = simulate(0, n=3000, weeks=52, r=0.5, alpha=4.0, a=2e5, b=8e5, existing=0.5, drop_at_first=False)
    with pytest.raises(ConvergenceError):
        lifetimes_bgnbd(summary)
    fit = fit_purchases(summary, "bgnbd")
    assert fit.common_dropout == pytest.approx(0.2, abs=0.02)
    assert fit.params["r"] == pytest.approx(0.5, rel=0.15) and fit.params["alpha"] == pytest.approx(4.0, rel=0.25)
    supremum_check(summary, fit)


def test_an_interior_optimum_is_not_taken_for_the_boundary():
    summary = simulate(1, n=3000, weeks=52, r=0.5, alpha=4.0, a=1.0, b=3.0, existing=0.6)
    fit = fit_purchases(summary, "bgnbd")
    theirs = lifetimes_bgnbd(summary)
    assert fit.common_dropout is None
    np.testing.assert_allclose(list(fit.params.values()), list(theirs.params_), rtol=1e-3)


def test_a_fit_without_any_optimum_says_why():
    """Everyone buys at exactly the same rate: BG/NBD's r and alpha run off to infinity, and the error says so."""
    rng = np.random.default_rng(2)
    T = rng.uniform(10, 52, 2000)
    x = np.floor(0.5 * T)  # less spread than even a common Poisson rate would give
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    with pytest.raises(ModelError, match="every customer seems to buy at the same rate"):
        fit_purchases(summary, "bgnbd")


# --- standard errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_standard_errors_equal_lifetimes_summary(weeks, model):
    ours = fit_purchases(weeks, model).summary()
    theirs = FITTERS[model]().fit(weeks["frequency"], weeks["recency"], weeks["T"]).summary
    np.testing.assert_allclose(ours["se"], theirs["se(coef)"], rtol=2e-3)
    assert (ours["lower"] < ours["coef"]).all() and (ours["coef"] < ours["upper"]).all()


def test_spend_standard_errors_equal_lifetimes_summary(weeks):
    repeat = weeks[(weeks["frequency"] > 0) & (weeks["monetary_value"] > 0)]
    theirs = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]).summary
    np.testing.assert_allclose(fit_spend(weeks).summary()["se"], theirs["se(coef)"], rtol=2e-3)


@pytest.mark.parametrize("model", ["pnbd", "bgnbd"])
def test_standard_errors_equal_a_numerical_hessian_of_the_likelihood(weeks, model):
    """The inverse of the Hessian of the total log-likelihood, by second differences of the likelihood itself in
    the parameters as published (no log scale, no analytic gradient)."""
    fit = fit_purchases(weeks, model)
    x, t_x, T = (weeks[c].to_numpy() for c in PATTERN)
    names, theta = list(fit.params), np.array(list(fit.params.values()))

    def ll(values):
        return total_log_likelihood(model, dict(zip(names, values)), x, t_x, T, np.ones_like(x))

    h = 1e-4 * theta
    hessian = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            hessian[i, j] = (ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej) + ll(theta - ei - ej)) / (
                4 * h[i] * h[j]
            )
    numeric = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(fit.summary()["se"], numeric, rtol=1e-3)


def test_a_boundary_fit_has_standard_errors_of_its_limit():
    summary = simulate(0, n=3000, weeks=52, r=0.5, alpha=4.0, a=2e5, b=8e5, existing=0.5, drop_at_first=False)
    table = fit_purchases(summary, "bgnbd").summary()
    assert list(table.index) == ["r", "alpha", "p"] and table["se"].between(0, np.inf).all()
    assert table.loc["p", "lower"] < 0.2 < table.loc["p", "upper"]


# --- panels of frequent buyers (a grocery year) -----------------------------------------------------------------


def panel(seed, dropout_share, weeks=52, n=2469, regular=True) -> pd.DataFrame:
    """A year of households buying every week or two (a median of some 38 purchase days): each buys at a gap of its
    own, regularly (normal, 30% spread) or at random; `dropout_share` of them leave after an exponential time."""
    rng = np.random.default_rng(seed)
    rows, end_day = [], weeks * 7.0
    for _ in range(n):
        first = rng.uniform(0, 10)
        life = rng.exponential(rng.uniform(60, 300)) if rng.random() < dropout_share else np.inf
        end, gap = min(end_day, first + life), rng.gamma(2.0, 5.0) + 1
        t, days = first, [np.floor(first)]
        while (t := t + (max(1.0, rng.normal(gap, gap * 0.3)) if regular else rng.exponential(gap))) <= end:
            days.append(np.floor(t))
        rows.append((len(set(days)) - 1.0, (max(days) - days[0]) / 7, (end_day - days[0]) / 7))
    return pd.DataFrame(rows, columns=list(PATTERN))


def lifetimes_pnbd_log_likelihood(summary: pd.DataFrame) -> tuple[dict, float]:
    x, t_x, T = (summary[c].to_numpy() for c in PATTERN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = dict(ParetoNBDFitter().fit(x, t_x, T).params_)
    return params, total_log_likelihood("pnbd", params, x, t_x, T, np.ones_like(x))


def test_a_weekly_panel_s_pareto_nbd_fit_reaches_lifetimes_optimum():
    summary = panel(1, dropout_share=0.1)
    assert summary["frequency"].median() + 1 >= 35
    params, theirs = lifetimes_pnbd_log_likelihood(summary)
    ours = fit_purchases(summary, "pnbd")
    assert ours.log_likelihood >= theirs - 1e-3
    np.testing.assert_allclose(list(ours.params.values()), list(params.values()), rtol=2e-3)
    assert not ours.runs_off and ours.summary()["se"].notna().all()


def test_a_panel_where_nobody_leaves_fits_the_pareto_nbd_boundary_the_nbd():
    """s runs to 0: the supremum is the NBD (no drop-out), a valid model whose likelihood lifetimes only nears."""
    summary = panel(6, dropout_share=0.0, regular=False)
    _, theirs = lifetimes_pnbd_log_likelihood(summary)
    ours = fit_purchases(summary, "pnbd")
    assert ours.common_dropout == 0.0 and ours.params["s"] == 0.0
    assert ours.log_likelihood >= theirs - 1e-3
    assert (ours.p_alive(summary) == 1.0).all()
    rate = summary["frequency"] / summary["T"]
    risk = ours.p_no_purchase(13, summary)  # the NBD knows no recency: risk follows the purchase rate alone
    assert risk.between(0, 1).all() and risk.corr(rate, method="spearman") < -0.9


def common_lifetime(seed: int, n: int = 1500) -> pd.DataFrame:
    """Every customer leaves at the same rate (exponential lifetimes of mean 60 weeks): Pareto/NBD's s and beta
    run off together, or stop at a huge s by chance."""
    rng = np.random.default_rng(seed)
    T, rate = rng.uniform(10, 52, n), rng.gamma(2, 1 / 4, n)
    end = np.minimum(T, rng.exponential(60.0, n))
    x = rng.poisson(rate * end)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T})


def test_a_fit_whose_shape_runs_off_is_flagged_and_not_taken_for_no_dropout():
    flagged = fit_purchases(common_lifetime(3), "pnbd")
    assert flagged.runs_off == ("s",) and flagged.params["s"] > 1e4
    with pytest.raises(ModelError, match="leave at the same rate|same"):  # not the no-drop-out boundary
        fit_purchases(common_lifetime(0), "pnbd")
