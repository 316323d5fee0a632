#!/usr/bin/env bash
# hepdata.sh — `dipscan limits CUBE --hepdata DIR` and the CSV's provenance sidecar.
#
# A tiny scan (XENONnT SR0 + PandaX-4T Run1 + their joint fit, 2 couplings, 3 m4, Asimov with the
# asymptotic band) is reduced with --hepdata.  Checked:
# - the export validates against hepdata.net's JSON Schemas (1.1.1, hepdata-validator) found at
#   ../shared/reference/hepdata_schema relative to the repository (skipped with a message where it
#   is absent): every table against data_schema.json, every table document of submission.yaml
#   against submission_schema.json, the header document against additional_info_schema.json;
# - its contents agree with the CSV: one table per entry x coupling, m4 as the independent
#   variable, the observed 1-dof and 2-dof limits, the expected median and bands equal to the CSV
#   columns, the PCL, and the qualifiers CL, dof, threshold, data, experiment, coupling, version,
#   card checksums (equal to the cube's);
# - CSV.json: the conventions and provenance, consistent with the cube's root attributes.
set -u
root=${DIPSCAN_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DIPSCAN_BIN:-$root/bin/dipscan}
py=/usr/bin/python3
S=hepdata
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
check() { if eval "$2"; then echo "PASS $S: $1"; else echo "FAIL $S: $1 (${3:-})"; fi; }
if ! $py -c 'import yaml, jsonschema, h5py' 2>/dev/null; then
  echo "SKIP $S: all (python3-yaml, python3-jsonschema or python3-h5py not installed)"; exit 0
fi

cat >"$W/h.yaml" <<EOF
experiments: [xenonnt_sr0, pandax4t_run1]
joint: [[xenonnt_sr0, pandax4t_run1]]
couplings: [universal, e]
m4: {values: [0.01, 0.1, 0.3]}
mu: {from: 1.0e-12, to: 1.0e-9, points: 40}
statistics: {data: asimov, expected: asimov}
output: $W/h.h5
EOF
"$bin" scan "$W/h.yaml" >"$W/log" 2>&1 &&
  "$bin" limits "$W/h.h5" --csv "$W/h.csv" --hepdata "$W/hep" >>"$W/log" 2>&1
rc=$?
check "scan and limits --hepdata exit 0" "[ $rc = 0 ]" "rc $rc: $(tail -2 "$W/log")"
check "submission.yaml and 6 tables written" \
  "[ -f '$W/hep/submission.yaml' ] && [ \$(ls '$W/hep'/table_*.yaml | wc -l) = 6 ]" "$(ls "$W/hep" 2>&1)"

$py - "$W/hep" "$W/h.csv" "$W/h.h5" >"$W/content" 2>&1 <<'PY'
import csv, math, sys
import h5py, yaml
hep, csv_path, cube = sys.argv[1:4]
docs = list(yaml.safe_load_all(open(hep + "/submission.yaml")))
rows = list(csv.DictReader(open(csv_path)))
with h5py.File(cube, "r") as h:
    sums = dict(zip([s.decode() if isinstance(s, bytes) else s for s in h.attrs["card_names"]],
                    [s.decode() if isinstance(s, bytes) else s for s in h.attrs["card_checksums"]]))
assert "comment" in docs[0] and len(docs) == 7, len(docs)
n = 0
for doc in docs[1:]:
    t = yaml.safe_load(open(hep + "/" + doc["data_file"]))
    dep = {d["header"]["name"]: d for d in t["dependent_variables"]}
    obs = dep["mu upper limit, observed (1 dof)"]
    q = {x["name"]: x["value"] for x in obs["qualifiers"]}
    entry, coupling = doc["name"].split(": ", 1)[1].split(", ")
    assert q["coupling"] == coupling and q["CL"] == 0.9 and q["dof"] == 1 and q["data"] == "asimov"
    assert q["threshold"] == "two-sided" and abs(q["Delta chi2"] - 2.705543) < 1e-6, q
    assert q["card checksums"] == ", ".join("%s=%s" % (c, sums[c]) for c in entry.split("+")), q
    assert q["dipscan version"].startswith("dipscan "), q
    m4 = [v["value"] for v in t["independent_variables"][0]["values"]]
    assert t["independent_variables"][0]["header"] == {"name": "m4", "units": "MeV"}
    med = dep["mu upper limit, expected median (1 dof)"]["values"]
    two = dep["mu upper limit, observed (2 dof)"]["values"]
    pcl = dep["mu upper limit, power-constrained (1 dof)"]["values"]
    for i, m in enumerate(m4):
        r1 = [r for r in rows if r["experiment"] == entry and r["coupling"] == coupling and
              abs(float(r["m4_MeV"]) / m - 1) < 1e-5]
        one = next(r for r in r1 if r["dof"] == "1"); r2 = next(r for r in r1 if r["dof"] == "2")
        close = lambda a, b: abs(float(a) / float(b) - 1) < 1e-6
        assert close(obs["values"][i]["value"], one["mu_limit_muB"]), (entry, m)
        assert close(two[i]["value"], r2["mu_limit_muB"]) and close(pcl[i]["value"], one["mu_limit_pcl_muB"])
        e = {x["label"]: x["asymerror"] for x in med[i]["errors"]}
        assert close(med[i]["value"], one["expected_median_muB"])
        assert close(med[i]["value"] + e["1 sigma"]["minus"], one["expected_m1_muB"])
        assert close(med[i]["value"] + e["2 sigma"]["plus"], one["expected_p2_muB"])
        n += 1
assert n == 18, n
print("content ok:", n, "m4 points in", len(docs) - 1, "tables")
PY
check "tables agree with the CSV (limits, median, bands, PCL) and carry the qualifiers" \
  "grep -q '^content ok' '$W/content'" "$(tail -3 "$W/content")"

$py - "$W/h.csv.json" "$W/h.h5" >"$W/side" 2>&1 <<'PY'
import json, sys
import h5py
side = json.load(open(sys.argv[1]))
with h5py.File(sys.argv[2], "r") as h:
    a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in h.attrs.items()}
for k in ("cl", "threshold", "delta_chi2_1dof", "delta_chi2_2dof", "data", "split", "electrons",
          "solar_model", "sources", "day_night", "background", "expected", "reduced_by",
          "scan_version", "config_hash", "config", "cards", "columns", "status"):
    assert k in side, k
assert side["config_hash"] == a["config_hash"] and side["config"] == a["config"]
assert side["cl"] == a["cl"] and side["data"] == a["data"] == "asimov" and side["sources"] == "all"
assert [c["name"] for c in side["cards"]] == ["xenonnt_sr0", "pandax4t_run1"]
assert side["cards"][1]["flags"] == "digitised exposure_to_check"
print("sidecar ok")
PY
check "CSV.json sidecar: conventions, physics choices, versions, config hash, cards and flags" \
  "grep -q '^sidecar ok' '$W/side'" "$(tail -3 "$W/side")"

schemas=$(cd "$root/.." && pwd)/shared/reference/hepdata_schema
if [ ! -f "$schemas/data_schema.json" ]; then
  echo "SKIP $S: schema validation (no ../shared/reference/hepdata_schema next to the repository)"
  exit 0
fi
$py - "$W/hep" "$schemas" >"$W/valid" 2>&1 <<'PY'
import json, pathlib, sys
import jsonschema, yaml
hep, schemas = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def validator(name):
    schema = json.load(open(schemas / name))
    resolver = jsonschema.RefResolver(base_uri=schemas.resolve().as_uri() + "/", referrer=schema)
    return jsonschema.Draft7Validator(schema, resolver=resolver)
data, sub, info = (validator(n) for n in ("data_schema.json", "submission_schema.json",
                                          "additional_info_schema.json"))
docs = list(yaml.safe_load_all(open(hep / "submission.yaml")))
errors = list(info.iter_errors(docs[0]))
for doc in docs[1:]:
    errors += list(sub.iter_errors(doc))
    errors += list(data.iter_errors(yaml.safe_load(open(hep / doc["data_file"]))))
for e in errors[:5]:
    print("invalid:", e.message)
print("valid: %d documents, %d tables, %d errors" % (len(docs), len(docs) - 1, len(errors)))
PY
check "the export validates against the HEPData JSON Schemas (1.1.1)" \
  "grep -q '^valid: 7 documents, 6 tables, 0 errors' '$W/valid'" "$(tail -3 "$W/valid")"
grep '^valid' "$W/valid" | sed "s/^/# $S: /"
# a schema check that cannot fail proves nothing: a table without its values must be rejected
$py - "$schemas" >"$W/neg" 2>&1 <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1] + "/data_schema.json"))
bad = {"independent_variables": [{"header": {"name": "m4"}}], "dependent_variables": []}
print("rejected" if list(jsonschema.Draft7Validator(schema).iter_errors(bad)) else "accepted")
PY
check "the same validator rejects a table without values" "grep -q rejected '$W/neg'" "$(cat "$W/neg")"
exit 0
