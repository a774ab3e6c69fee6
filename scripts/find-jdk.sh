#!/usr/bin/env bash
# Prints the JAVA_HOME of a JDK whose major version is >= PINLAB_MIN_JAVA (default 21).
#
# Order: $JAVA_HOME if it qualifies; else the newest qualifying JDK under /usr/lib/jvm
# (override the search dirs with PINLAB_JDK_DIRS, space separated); else the javac on PATH.
# A candidate must have both bin/java and bin/javac. Exits 1 with a message on stderr if none.
#
# Usage:  JAVA_HOME="$(scripts/find-jdk.sh)" || exit 1
set -euo pipefail

min="${PINLAB_MIN_JAVA:-21}"

# Major version of the JDK at $1 (e.g. 25, 21, 8), or nothing if it does not run.
jdk_major() {
    local home="$1" v
    [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 1
    # The JDK's release file says its version without starting a JVM; java -version is the fallback.
    v="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release" 2>/dev/null | head -n 1)" || v=""
    [[ -n "$v" ]] || v="$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)" \
        || return 1
    [[ -n "$v" ]] || return 1
    case "$v" in
        1.*) v="${v#1.}" ;;
    esac
    v="${v%%[!0-9]*}"
    [[ -n "$v" ]] || return 1
    printf '%s\n' "$v"
}

qualifies() {
    local m
    m="$(jdk_major "$1")" || return 1
    (( m >= min ))
}

# 1. $JAVA_HOME
if [[ -n "${JAVA_HOME:-}" ]] && qualifies "$JAVA_HOME"; then
    printf '%s\n' "$JAVA_HOME"
    exit 0
fi

# 2. The newest JDK under the search dirs (highest major; ties broken by directory name, version-sorted).
best="" best_major=-1
for dir in ${PINLAB_JDK_DIRS:-/usr/lib/jvm}; do
    [[ -d "$dir" ]] || continue
    while IFS= read -r home; do
        home="$(readlink -f "$home")"
        m="$(jdk_major "$home")" || continue
        if (( m >= min && m > best_major )); then
            best="$home" best_major="$m"
        fi
    done < <(find "$dir" -mindepth 1 -maxdepth 1 \( -type d -o -type l \) | sort -rV)
done
if [[ -n "$best" ]]; then
    printf '%s\n' "$best"
    exit 0
fi

# 3. The javac on PATH.
if javac_path="$(command -v javac 2>/dev/null)"; then
    home="$(dirname "$(dirname "$(readlink -f "$javac_path")")")"
    if qualifies "$home"; then
        printf '%s\n' "$home"
        exit 0
    fi
fi

echo "find-jdk: no JDK >= $min found (looked at JAVA_HOME=${JAVA_HOME:-<unset>}," \
     "${PINLAB_JDK_DIRS:-/usr/lib/jvm}/* and the javac on PATH). Install a JDK $min+ or point JAVA_HOME at one." >&2
exit 1
