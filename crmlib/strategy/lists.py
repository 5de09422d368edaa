"""Target lists for the channel tools: one CSV per planned campaign and channel, importable as is.

E-mail lists come in the import columns of Mailchimp ("Email Address", "First Name", "Last Name", "Tags") and
HubSpot ("Email", "First Name", "Last Name"), WhatsApp Business broadcasts and SMS with the phone in E.164
("Phone Number", +62812…), push with the customer id the app knows ("External User ID"). Each row carries the
personalisation fields: favourite and recommended category, the offer, the expected value, the campaign id.

Lists hold personal data. They hold only the treated members of the plan (never the control group), only those
with consent for the channel (checked again here against the customers table) and a valid address; they go to
`strategy.lists_dir/<period>/` (a folder of their own, outside the reports, the source files and the code, replaced
whole on every run in one rename, so a rerun writes the same files; readable by their owner only) and never into
the management HTML, which shows counts, segments and money only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from crmlib.catalogue import t
from crmlib.collect.warehouse import Warehouse
from crmlib.errors import ParamsError
from crmlib.files import PRIVATE_FOLDER, alive, exchange, private_file
from crmlib.strategy.channels import e164
from crmlib.strategy.options import StrategyOptions

MAILCHIMP = ["Email Address", "First Name", "Last Name", "Tags"]
HUBSPOT = ["Email", "First Name", "Last Name"]
PHONE = ["Phone Number", "First Name", "Last Name"]
PUSH = ["External User ID"]
PERSONALISATION = ["Favourite Category", "Recommended Category", "Offer", "Expected Value", "Campaign ID"]
MANIFEST = "manifest.csv"  # file, campaign_id, channel, format, rows: no personal data

CONTACTS_SQL = """
SELECT m.customer_id, c.name, c.email, c.phone, coalesce(c.consent_email, false) AS consent_email,
       coalesce(c.consent_whatsapp, false) AS consent_whatsapp
FROM wanted m JOIN customers c USING (customer_id)
"""


def split_name(name) -> tuple[str, str]:
    """First name and the rest (Indonesian names are often one word: the last name is then empty).

    >>> split_name("Nur Wijaya"), split_name("Sukarno"), split_name(None)
    (('Nur', 'Wijaya'), ('Sukarno', ''), ('', ''))
    """
    parts = str(name).split() if isinstance(name, str) else []
    return (parts[0], " ".join(parts[1:])) if parts else ("", "")


def contacts(warehouse: Warehouse, customer_ids) -> pd.DataFrame:
    """Name, e-mail, phone and consents of these customers (index customer_id): personal data, for lists only."""
    wanted = pd.DataFrame({"customer_id": pd.Series(customer_ids, dtype=str).unique()})
    return warehouse.query(CONTACTS_SQL, frames={"wanted": wanted}).set_index("customer_id")


def list_rows(members: pd.DataFrame, people: pd.DataFrame, channel: str, fmt: str, region: str) -> pd.DataFrame:
    """The rows of one list: `members` (treated, one channel) joined with their contacts, in the tool's columns."""
    people = people.reindex(members["customer_id"])
    first, last = zip(*people["name"].map(split_name)) if len(people) else ((), ())
    extra = pd.DataFrame(
        {
            "Favourite Category": members["favourite_category"].fillna("").to_numpy(),
            "Recommended Category": members["recommended_category"].fillna("").to_numpy(),
            "Offer": members["offer"].to_numpy(),
            "Expected Value": np.round(members["expected_value"].to_numpy(), 0).astype("int64"),
            "Campaign ID": members["campaign_id"].to_numpy(),
        }
    )
    if channel == "email":
        email = people["email"].fillna("").str.strip().to_numpy()
        keep = people["consent_email"].to_numpy(dtype=bool) & pd.Series(email).str.contains("@").to_numpy()
        if fmt == "mailchimp":
            tags = members["campaign_id"].to_numpy() + "," + members["segment"].fillna("").to_numpy()
            rows = pd.DataFrame({"Email Address": email, "First Name": first, "Last Name": last, "Tags": tags})
        else:
            rows = pd.DataFrame({"Email": email, "First Name": first, "Last Name": last})
    elif channel in ("whatsapp", "sms"):
        phone = people["phone"].map(lambda p: e164(p, region)).to_numpy()
        keep = people["consent_whatsapp"].to_numpy(dtype=bool) & pd.notna(phone)
        rows = pd.DataFrame({"Phone Number": phone, "First Name": first, "Last Name": last})
    else:
        keep = np.ones(len(members), dtype=bool)
        rows = pd.DataFrame({"External User ID": members["customer_id"].to_numpy()})
    return pd.concat([rows, extra], axis=1)[keep].reset_index(drop=True)


STAGING = ".crm-staging-"  # a list folder being written: `.crm-staging-<period>.<pid>.<random>`
MARKER = ".crm-lists"  # in every list folder the suite wrote: the folder is the suite's to replace


def write_lists(
    warehouse: Warehouse, members: pd.DataFrame, folder: str | Path, options: StrategyOptions
) -> pd.DataFrame:
    """Write every list of the plan's treated `members` into `folder` and return the manifest: file, campaign_id,
    channel, format, rows.

    The lists are written into a private staging folder next to `folder` (0700, files 0600), which then takes
    `folder`'s place in one rename: a reader, or a killed run, finds the old lists or the new ones. A folder the
    suite did not write, or holding files it did not write, is never replaced (a ParamsError says so); staging
    folders of killed runs are removed first."""
    folder = Path(folder)
    treated = members[members["group"] == "treated"].sort_values(["campaign_id", "rank", "customer_id"])
    people = contacts(warehouse, treated["customer_id"])
    folder.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    remove_stale_staging(folder.parent)
    check_own(folder)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{folder.name}.{os.getpid()}.", dir=folder.parent))
    manifest = []
    try:
        for (campaign, channel), group in treated.groupby(["campaign_id", "channel"], sort=True):
            formats = options.email_formats if channel == "email" else [channel]
            for fmt in formats:
                rows = list_rows(group, people, str(channel), fmt, options.phone_region)
                name = f"{campaign}-{channel}-{fmt}.csv" if channel == "email" else f"{campaign}-{channel}.csv"
                with private_file(staging / name) as handle:
                    rows.to_csv(handle, index=False)
                manifest.append((name, campaign, channel, fmt, len(rows)))
        table = pd.DataFrame(manifest, columns=["file", "campaign_id", "channel", "format", "rows"])
        with private_file(staging / MANIFEST) as handle:
            table.to_csv(handle, index=False)
        with private_file(staging / MARKER) as handle:
            handle.write("target lists written by crm: this folder is replaced whole on every run\n")
        if folder.exists():
            exchange(staging, folder)  # the old lists are now in `staging`, removed below
        else:
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return table


def check_own(folder: Path) -> None:
    """A ParamsError unless `folder` is absent, empty, or a list folder the suite wrote holding only its files."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ParamsError(t("error.lists.not_a_folder", folder=str(folder)))
    if not folder.exists():
        return
    own = {MANIFEST, MARKER}
    if (folder / MANIFEST).is_file():  # the lists a manifest names (an earlier release wrote no marker)
        with contextlib.suppress(ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            own |= set(pd.read_csv(folder / MANIFEST, usecols=["file"])["file"].astype(str))
    if not (folder / MARKER).is_file() and own == {MANIFEST, MARKER}:
        own = set()
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in own)
    if foreign:
        raise ParamsError(t("error.lists.foreign", folder=str(folder), n=len(foreign), example=foreign[0]))


def remove_stale_staging(parent: Path) -> list[str]:
    """Remove the staging folders of list writers that are no longer running (killed mid-write); their names."""
    removed = []
    for path in parent.glob(f"{STAGING}*"):
        pid = path.name.removeprefix(STAGING).rsplit(".", 2)
        if len(pid) == 3 and pid[1].isdigit() and not alive(int(pid[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed
