#!/bin/sh
# Fills DIR/compile with the compile target's seeds: every ply program in the
# tests (golden files, the programs quoted in the e2e scripts and in the
# unit tests' C strings) and in the docs (README, man page), the shared
# corpus of an earlier run when it is there (../shared/fuzz/, or
# $FUZZ_CORPUS), and the large and deep programs of GEN; and DIR/decode
# with the decode target's (GEN --decode).
#	fuzz/seeds.sh GEN DIR
set -eu
gen=$1 top=$2
dir=$top/compile
cd "$(dirname "$0")/.."
rm -rf "$top"
mkdir -p "$dir" "$top/decode"

cp test/golden/*.ply "$dir"/
# Single-quoted programs of the shell scripts and the docs (roff escapes
# undone), C string literals of the unit tests (adjacent ones joined);
# anything with a brace may be a program.
write='sub seed { open(my $f, ">", sprintf("%s/%s-%04d", $ENV{DIR}, $ENV{PFX}, $n++)) or die; print $f $_[0]; close($f) }'
export DIR="$dir"
{
	for f in test/e2e/*.sh test/vm/e2e/*.sh README.md; do
		[ -f "$f" ] && cat "$f"
	done
	sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\(dq/"/g' -e "s/\\\\(aq/'/g" \
		-e 's/^\.[A-Z][A-Z]* *//' man/ply.1
} | PFX=doc perl -0777 -ne "$write"'
	while (/\x27([^\x27]*\{[^\x27]*)\x27/g) { seed($1) }'
cat test/unit/*.c | PFX=unit perl -0777 -ne "$write"'
	my %esc = (n => "\n", t => "\t");
	while (/((?:"(?:[^"\\\n]|\\.)*"\s*)+)/g) {
		my $s = $1; my $t = "";
		while ($s =~ /"((?:[^"\\\n]|\\.)*)"/g) { $t .= $1 }
		$t =~ s/\\(.)/exists $esc{$1} ? $esc{$1} : $1/ge;
		seed($t) if $t =~ /[{]/ }'
corpus=${FUZZ_CORPUS:-../shared/fuzz/compile-corpus.tar.gz}
if [ -f "$corpus" ]; then
	mkdir -p "$dir/.shared"
	tar -xzf "$corpus" -C "$dir/.shared"
	find "$dir/.shared" -type f -exec mv -t "$dir" {} +
	rm -rf "$dir/.shared"
else
	echo "fuzz/seeds.sh: no $corpus; seeding from the tests, docs and generator only" >&2
fi
"$gen" "$dir" >/dev/null
"$gen" --decode "$top/decode" >/dev/null
echo "fuzz/seeds.sh: $(ls "$dir" | wc -l) compile seeds, $(ls "$top/decode" | wc -l) decode seeds"
