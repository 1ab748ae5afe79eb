# Build the Windows bundle and its installer, on Windows (CI: .github/workflows/release.yml):
#
#   powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1
#
# Outputs: dist\onsembl\ (onsembl.exe, onsembl-agent.exe, _internal\) and
# dist\Onsembl_Desktop-VERSION-setup.exe. Needs Python 3.11+ and NSIS 3 (makensis on PATH or in
# Program Files; `choco install nsis`). Signing (optional): set ONSEMBL_SIGNTOOL_ARGS to the
# signtool arguments before the file name, e.g. '/fd SHA256 /tr http://ts.example /td SHA256 /a'.
$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root
$Python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$Venv = if ($env:ONSEMBL_PACKAGING_VENV) { $env:ONSEMBL_PACKAGING_VENV } else { "$Root\build\packaging-venv" }
$Dist = "$Root\dist"
$Work = "$Root\build\packaging"
$env:ONSEMBL_BUILD_DIR = $Work

function Run($exe) {
    & $exe @args
    if ($LASTEXITCODE -ne 0) { throw "$exe $args failed ($LASTEXITCODE)" }
}

Write-Host "== build environment: $Venv"
if (-not (Test-Path "$Venv\Scripts\python.exe")) { Run $Python -m venv $Venv }
$Py = "$Venv\Scripts\python.exe"
Run $Py -m pip install -q --upgrade pip
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$Root\build\lib"
Run $Py -m pip install -q "$Root[packaging]"
Run $Py -m pip install -q --no-deps --force-reinstall "$Root"
$Version = (& $Py -c "import onsembl_desktop; print(onsembl_desktop.__version__)").Trim()
$Nums = @([regex]::Matches($Version, '\d+') | ForEach-Object { $_.Value } | Select-Object -First 4)
while ($Nums.Count -lt 4) { $Nums += "0" }
$Quad = $Nums -join "."

Write-Host "== freeze (PyInstaller) $Version"
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue "$Dist\onsembl"
New-Item -ItemType Directory -Force $Work | Out-Null
Push-Location $Work
try {
    Run "$Venv\Scripts\pyinstaller.exe" --noconfirm --clean --log-level WARN `
        --distpath $Dist --workpath "$Work\pyinstaller" "$Root\packaging\onsembl.spec"
} finally { Pop-Location }
Run "$Dist\onsembl\onsembl.exe" --version
Run "$Dist\onsembl\onsembl-agent.exe" --version

$SignArgs = $env:ONSEMBL_SIGNTOOL_ARGS
if ($SignArgs) {
    foreach ($exe in "onsembl.exe", "onsembl-agent.exe") {
        Run signtool sign @($SignArgs -split ' ') "$Dist\onsembl\$exe"
    }
}

Write-Host "== installer (NSIS)"
$Makensis = (Get-Command makensis -ErrorAction SilentlyContinue).Source
if (-not $Makensis) { $Makensis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe" }
$Setup = "$Dist\Onsembl_Desktop-$Version-setup.exe"
Run $Makensis /V2 "/DVERSION=$Version" "/DVERSION_QUAD=$Quad" "/DSRCDIR=$Dist\onsembl" `
    "/DOUTFILE=$Setup" "/DICON=$Work\icons\onsembl.ico" "$Root\packaging\windows\onsembl.nsi"
if ($SignArgs) { Run signtool sign @($SignArgs -split ' ') $Setup }
Write-Host $Setup
