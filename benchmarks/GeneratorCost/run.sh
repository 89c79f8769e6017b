#!/usr/bin/env bash
# The source generator's cost on a large project with no instrumented call: 2,000 files, ~160,000 ordinary calls,
# one [BackgroundTask] method (called once). Builds the same project with and without the generator (csc's
# -p:ReportAnalyzer=true timings) and prints the generator's own time and the build-time ratio.
#   benchmarks/GeneratorCost/run.sh [files=2000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
files=${1:-2000}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KEEP_LOG_DIR=${KEEP_LOG_DIR:-}

dotnet build src/Afterward -c Release -v:q -nologo >/dev/null
dotnet build src/Afterward.Generators -c Release -v:q -nologo >/dev/null
mkdir -p "$work/src"
for ((f = 0; f < files; f++)); do
  {
    echo "namespace Big.N$f;"
    echo "public static class C$f {"
    echo "  public static int Add(int a, int b) => a + b;"
    echo "  public static string Join(string a, string b) => string.Concat(a, b);"
    echo "  public static int Run(int seed) {"
    echo "    int x = seed; string s = \"\";"
    for ((c = 0; c < 26; c++)); do
      echo "    x = Add(x, $c); s = Join(s, x.ToString()); x = System.Math.Max(x, s.Length);"
    done
    echo "    return x; } }"
  } > "$work/src/C$f.cs"
done
cat > "$work/src/Instrumented.cs" <<'CS'
namespace Big;
public static class Jobs { [Afterward.BackgroundTask] public static void Nightly() { } public static void Go() => Nightly(); }
CS
cat > "$work/Big.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <OutputType>Library</OutputType>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$root/src/Afterward/Afterward.csproj" />
    <ProjectReference Include="$root/src/Afterward.Generators/Afterward.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false"
                      SetTargetFramework="TargetFramework=netstandard2.0" Condition="'\$(WithGenerator)' == 'true'" />
  </ItemGroup>
  <Import Project="$root/src/Afterward/build/Afterward.props" />
  <Import Project="$root/src/Afterward/build/Afterward.targets" />
</Project>
XML
echo "{}" > "$work/Directory.Packages.props.json"
cp "$root/Directory.Packages.props" "$work/"
dotnet restore "$work/Big.csproj" -v:q -nologo >/dev/null

calls=$(grep -o "Add(\|Join(\|Max(\|ToString(" "$work"/src/*.cs | wc -l)
echo "project: $files files, $calls ordinary calls, 1 instrumented call"
with=(); without=(); generator=()
for ((r = 1; r <= rounds; r++)); do
  for variant in true false; do
    log="$work/build-$variant-$r.log"
    start=$(date +%s.%N)
    dotnet build "$work/Big.csproj" -c Release --no-restore --no-incremental -nologo -v:d -p:BuildProjectReferences=false -p:WithGenerator=$variant -p:ReportAnalyzer=true > "$log"
    took=$(echo "$(date +%s.%N) - $start" | bc)
    [ -n "$KEEP_LOG_DIR" ] && cp "$log" "$KEEP_LOG_DIR/"
    if [ "$variant" = true ]; then
      with+=("$took")
      own=$(grep -E "Afterward.Generators.InstrumentationGenerator" "$log" | grep -oE "[0-9]+(\.[0-9]+)? *s?" | head -1 | tr -d ' s' || true)
      generator+=("${own:-?}")
      echo "round $r: with generator ${took}s (InstrumentationGenerator ${own:-?} s)"
    else
      without+=("$took")
      echo "round $r: without generator ${took}s"
    fi
  done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mw=$(median "${with[@]}"); mo=$(median "${without[@]}")
echo "median build: with ${mw}s, without ${mo}s, ratio $(echo "scale=3; $mw / $mo" | bc)"
echo "InstrumentationGenerator own time per round (s): ${generator[*]}"
