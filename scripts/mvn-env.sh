# Sourced (not run) by ./pinlab, scripts/test and scripts/bench: picks the JDK and sets up Maven's env.
# Sets and exports JAVA_HOME and PATH; adds JVM flags for Maven itself to MAVEN_OPTS on JDK 24+.
# Expects PINLAB_ROOT to be the repository root.

JAVA_HOME="$("$PINLAB_ROOT/scripts/find-jdk.sh")" || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

# Maven 3.8's bundled Guava calls sun.misc.Unsafe, which JDK 24+ warns about on every run.
_pinlab_java_major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null | head -n 1)"
[[ -n "$_pinlab_java_major" ]] || _pinlab_java_major="$("$JAVA_HOME/bin/java" -version 2>&1 \
    | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
if [[ "${_pinlab_java_major:-0}" -ge 24 && "${MAVEN_OPTS:-}" != *sun-misc-unsafe-memory-access* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
fi
unset _pinlab_java_major
