# Sourced by CLI test scripts: `check DESCRIPTION COMMAND...` runs a command and counts it as
# passed or failed without ending the script; `finish NAME` prints the counts and sets the
# exit status.
passed=0
failed=0
check() {
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what" >&2
    fi
}
not() { ! "$@"; }
finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# The name the Hub gives a blob: SHA-256 for LFS files (10 MiB or more, or a NUL byte in the
# first 512 bytes), else the Git blob id, as `git hash-object` prints it.
hub_name() {
    python3 - "$1" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
if len(data) >= 10 << 20 or b"\0" in data[:512]:
    print(hashlib.sha256(data).hexdigest())
else:
    print(hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest())
PY
}
# hf_link REPO SNAPSHOT_FILE SOURCE: stores SOURCE as a blob of the cache repo REPO and links
# REPO/snapshots/SNAPSHOT_FILE to it, as huggingface_hub does.
hf_link() {
    local sha
    sha=$(hub_name "$3")
    [ -e "$1/blobs/$sha" ] || cp "$3" "$1/blobs/$sha"
    ln -s "../../blobs/$sha" "$1/snapshots/$2"
}
# hf_two_revisions REPO: a cache repo with snapshots rev1 and rev2 (refs/main: rev2) that
# share the blobs of s1, idx.json and cfg.json (files in this folder) as the first shard,
# the index and the config; the second shard is s2a in rev1 and s2b in rev2.
hf_two_revisions() {
    local rev
    mkdir -p "$1/blobs" "$1/refs" "$1/snapshots/rev1" "$1/snapshots/rev2"
    echo rev2 >"$1/refs/main"
    for rev in rev1 rev2; do
        hf_link "$1" "$rev/model-00001-of-00002.safetensors" s1
        hf_link "$1" "$rev/model.safetensors.index.json" idx.json
        hf_link "$1" "$rev/config.json" cfg.json
    done
    hf_link "$1" rev1/model-00002-of-00002.safetensors s2a
    hf_link "$1" rev2/model-00002-of-00002.safetensors s2b
}
