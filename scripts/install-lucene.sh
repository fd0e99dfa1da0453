#!/usr/bin/env bash
# Real Lucene for the engine-export tests (test/lucene/Harness.java): Debian's liblucene8-java,
# Lucene 8, the release line inside Elasticsearch 7.10 / OpenSearch 1.x, and a JDK to run the
# harness (java 11+ runs a single source file directly, so no build tool). Never a download from
# outside the distribution.
set -euo pipefail
have_jars() { ls /usr/share/java/lucene-core-8.*.jar /usr/share/java/lucene-analyzers-common-8.*.jar >/dev/null 2>&1; }
if have_jars && command -v java >/dev/null; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo -n"; else
    echo "Lucene 8 is not installed and this user cannot install it: run 'apt-get install liblucene8-java default-jdk-headless' as root" >&2
    exit 1
  fi
fi
echo "Installing Debian's liblucene8-java for the engine-export tests..."
$SUDO apt-get update -qq
pkgs="liblucene8-java"
command -v java >/dev/null || pkgs="$pkgs default-jdk-headless"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
have_jars || { echo "liblucene8-java was installed but its jars are not in /usr/share/java" >&2; exit 1; }
