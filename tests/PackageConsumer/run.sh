#!/usr/bin/env bash
# The package-consumer test: pack every package into a temp folder, build a fresh app that references them through a
# throwaway nuget.config (that folder, then the usual source), run it, and pass only if all of its checks pass.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(dotnet msbuild "$root/src/Afterward/Afterward.csproj" -getProperty:Version -nologo)
for package in Afterward Afterward.OpenTelemetry Afterward.AspNetCore Afterward.Durable; do
  dotnet pack "$root/src/$package" -c Release -o "$work/packages" -nologo -v:q >/dev/null
done
mkdir -p "$work/app"
cp "$root/tests/PackageConsumer/app/Program.cs" "$work/app/"
sed "s/@VERSION@/$version/g" "$root/tests/PackageConsumer/app/Consumer.csproj.in" > "$work/app/Consumer.csproj"
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="afterward-local" value="$work/packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
# Outside the repository: no Directory.Build.props or Directory.Packages.props of ours applies.
echo "<Project />" > "$work/Directory.Build.props"
echo "<Project />" > "$work/Directory.Build.targets"
cd "$work/app"
dotnet restore --packages "$work/nuget-cache" -nologo -v:q
dotnet build -c Release --no-restore -nologo -v:q
dotnet bin/Release/net10.0/Consumer.dll
