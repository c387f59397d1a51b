# SPDX-License-Identifier: Apache-2.0
#
# Host side of apparmor-enforce.sh, part 2: write KubeArmor policies + workloads for each case,
# compile them with Rampart's own AppArmor compiler (`rampart compile --target apparmor`), and
# leave in $VM_TEST_WORK/compiled/:
#   profiles/<case>.profile   the generated profile text (loaded in the guest)
#   names.txt                 "<case> <profile name>"   (case-ns.txt: "<case> <namespace>")
#   setup.sh                  creates the files and binaries the cases touch (run in the guest)
#   cases.txt                 "<case>|<allow|deny>|<shell command>" — run as aa-exec -p <profile> -- /bin/sh -c
#   unconfined.txt            commands that must still succeed outside any profile
set -euo pipefail
cd "$RAMPART_ROOT"
OUT=$VM_TEST_WORK/compiled
rm -rf "$OUT"; mkdir -p "$OUT/policies" "$OUT/profiles"
D=/opt/rampart-vmtest   # everything the cases touch lives here (created in the guest's overlay)

RAMPART=(node --import tsx enforcer/cli/main.ts)

cat > "$OUT/workloads.yaml" <<'Y'
apiVersion: v1
kind: Namespace
metadata: {name: rvt}
---
apiVersion: v1
kind: Namespace
metadata:
  name: rvt-allow
  annotations: {kubearmor-file-posture: block}
Y
pod() { # pod NAME NAMESPACE
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: {case: %s}}\nspec: {containers: [{name: app, image: busybox}]}\n' \
    "$1" "$2" "$1" >> "$OUT/workloads.yaml"
}
policy() { # policy CASE NAMESPACE  (spec body on stdin, selector added here)
  { printf 'apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: %s, namespace: %s}\nspec:\n  selector: {matchLabels: {case: %s}}\n' "$1" "$2" "$1"
    cat; } > "$OUT/policies/$1.yaml"
  pod "$1" "$2"
  echo "$1 $2" >> "$OUT/case-ns.txt"
}

policy file-block rvt <<Y
  file:
    matchPaths:
      - path: $D/file-block/secret.txt
  action: Block
Y
policy file-block-readonly rvt <<Y
  file:
    matchPaths:
      - path: $D/ro/data.txt
        readOnly: true
  action: Block
Y
policy dir-recursive rvt <<Y
  file:
    matchDirectories:
      - dir: $D/dir/
        recursive: true
  action: Block
Y
policy process-block rvt <<Y
  process:
    matchPaths:
      - path: $D/bin/blocked
  action: Block
Y
# allow-list: the namespace's file posture is block, so only what is allowed may be read
policy allow-list rvt-allow <<Y
  process:
    matchPaths:
      - path: /usr/bin/dash
      - path: /usr/bin/cat
  file:
    matchPaths:
      - path: $D/allow/ok.txt
  action: Allow
Y
# fromSource: only cat is blocked from the file; head reads it. /bin is a symlink to /usr/bin on
# Debian 12 and AppArmor matches resolved paths, so the source is the real path.
policy from-source rvt <<Y
  file:
    matchPaths:
      - path: $D/fs/secret.txt
        fromSource:
          - path: /usr/bin/cat
  action: Block
Y

cat > "$OUT/setup.sh" <<S
set -e
mkdir -p $D/file-block $D/ro $D/dir/a/b $D/dir-sibling $D/bin $D/allow $D/fs
for f in file-block/secret.txt file-block/public.txt ro/data.txt dir/top.txt dir/a/b/deep.txt \
         dir-sibling/x.txt allow/ok.txt allow/other.txt fs/secret.txt; do echo "content of \$f" > $D/\$f; done
cp /usr/bin/true $D/bin/blocked; cp /usr/bin/true $D/bin/allowed
S
cat > "$OUT/cases.txt" <<C
file-block|deny|cat $D/file-block/secret.txt
file-block|allow|cat $D/file-block/public.txt
file-block-readonly|allow|cat $D/ro/data.txt
file-block-readonly|deny|echo more >> $D/ro/data.txt
file-block|deny|ln $D/file-block/secret.txt $D/file-block/secret-link
file-block|allow|ln $D/file-block/public.txt $D/file-block/public-link
file-block-readonly|deny|ln $D/ro/data.txt $D/ro/writable-name
dir-recursive|deny|cat $D/dir/top.txt
dir-recursive|deny|cat $D/dir/a/b/deep.txt
dir-recursive|allow|cat $D/dir-sibling/x.txt
process-block|deny|$D/bin/blocked
process-block|allow|$D/bin/allowed
allow-list|allow|/usr/bin/cat $D/allow/ok.txt
allow-list|deny|/usr/bin/cat $D/allow/other.txt
from-source|deny|/usr/bin/cat $D/fs/secret.txt
from-source|allow|/usr/bin/head $D/fs/secret.txt
C
cat > "$OUT/unconfined.txt" <<C
cat $D/file-block/secret.txt
echo more >> $D/ro/data.txt
ln $D/file-block/secret.txt $D/file-block/secret-link
cat $D/dir/a/b/deep.txt
$D/bin/blocked
cat $D/allow/other.txt
/usr/bin/cat $D/fs/secret.txt
C

: > "$OUT/names.txt"
# one compile for all cases; --out writes one file per profile, named after the profile
"${RAMPART[@]}" compile --target apparmor --policies "$OUT/policies" --workloads "$OUT/workloads.yaml" \
  --out "$OUT/cli-out" || { echo "rampart compile --target apparmor failed"; exit 1; }
while read -r c ns; do
  name=rampart-$ns-$c-app # rampart-<namespace>-<owner>-<container>; a bare pod owns itself
  [ -f "$OUT/cli-out/$name" ] || { echo "rampart compile wrote no profile $name for case $c:"; ls "$OUT/cli-out"; exit 1; }
  cp "$OUT/cli-out/$name" "$OUT/profiles/$c.profile"
  echo "$c $name" >> "$OUT/names.txt"
done < "$OUT/case-ns.txt"
for c in $(cut -d'|' -f1 "$OUT/cases.txt" | sort -u); do
  grep -q "^$c " "$OUT/names.txt" || { echo "no profile compiled for case $c"; exit 1; }
  echo "compiled $c -> $(awk -v c="$c" '$1 == c {print $2}' "$OUT/names.txt") ($(wc -l < "$OUT/profiles/$c.profile") lines)"
done
# the parser must accept every profile on the host too (the guest then only loads them)
for f in "$OUT"/profiles/*.profile; do
  # (-Q: parse only; the host kernel has no AppArmor, hence the filtered cache notice)
  if ! apparmor_parser -Q -K "$f" > "$OUT/parse.log" 2>&1; then
    echo "apparmor_parser rejects $f:"; grep -v 'Cache read/write disabled' "$OUT/parse.log"; exit 1
  fi
done
