#!/usr/bin/env bash
# Build NLTK's WordNet directory offline, from Debian's WordNet packages.
#
#   scripts/install-wordnet.sh [NLTK_DATA_DIR]
#
# The directory defaults to the first entry of $NLTK_DATA, else ~/nltk_data; the corpus lands in
# DIR/corpora/wordnet, where nltk.corpus.wordnet finds it when DIR is on NLTK's data path (~/nltk_data
# always is; for another DIR, export NLTK_DATA=DIR). Idempotent: a complete copy is left as it is.
#
# Why not nltk.download("wordnet"): it fetches from a host outside the package registries. Debian's
# wordnet-base has the dictionary files and wordnet-sense-index adds index.sense; NLTK also wants a
# `lexnames` file, which pytest-recode ships (pytest_recode/transforms/data/lexnames).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lexnames="$here/../pytest_recode/transforms/data/lexnames"
source_dir=/usr/share/wordnet
data_dir="${1:-${NLTK_DATA:-$HOME/nltk_data}}"
data_dir="${data_dir%%:*}"  # NLTK_DATA may list several directories; use the first
target="$data_dir/corpora/wordnet"
needed=(data.adj data.adv data.noun data.verb index.adj index.adv index.noun index.verb index.sense
        adj.exc adv.exc noun.exc verb.exc)

if [ ! -f "$lexnames" ]; then
    lexnames="$(python3 -c 'import pytest_recode, os; print(os.path.join(os.path.dirname(pytest_recode.__file__), "transforms", "data", "lexnames"))' 2>/dev/null || true)"
fi
if [ ! -f "$lexnames" ]; then
    echo "install-wordnet: cannot find the lexnames file shipped with pytest-recode" >&2
    exit 1
fi

complete() {
    local dir="$1" name
    for name in "${needed[@]}" lexnames; do
        [ -s "$dir/$name" ] || return 1
    done
}

if complete "$target" && cmp -s "$lexnames" "$target/lexnames"; then
    echo "install-wordnet: WordNet already installed in $target"
    exit 0
fi

sources_present() {
    local name
    for name in "${needed[@]}"; do
        [ -s "$source_dir/$name" ] || return 1
    done
}

if ! sources_present; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    packages=(wordnet-base wordnet-sense-index)
    echo "install-wordnet: installing Debian packages ${packages[*]}"
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"; then
        $sudo apt-get update
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"
    fi
fi
if ! sources_present; then
    echo "install-wordnet: $source_dir lacks WordNet's dictionary files after installing wordnet-base and wordnet-sense-index" >&2
    exit 1
fi

# Build beside the target and move it in place, so an interrupted run never leaves half a corpus.
mkdir -p "$data_dir/corpora"
staging="$(mktemp -d "$data_dir/corpora/.wordnet.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
for path in "$source_dir"/*; do
    # NLTK rejects symbolic links, so copy the files they point at (-L); skip the GUI's folders.
    [ -f "$path" ] && cp -L "$path" "$staging/"
done
cp "$lexnames" "$staging/lexnames"
if [ -f /usr/share/doc/wordnet-base/copyright ]; then
    cp /usr/share/doc/wordnet-base/copyright "$staging/LICENSE"
fi
chmod 755 "$staging"
chmod 644 "$staging"/*
rm -rf "$target"
mv "$staging" "$target"
trap - EXIT
echo "install-wordnet: WordNet installed in $target"
if [ "$data_dir" != "$HOME/nltk_data" ] && [ "${NLTK_DATA:-}" != "$data_dir" ]; then
    echo "install-wordnet: export NLTK_DATA=$data_dir so that NLTK finds it"
fi
