<#
.SYNOPSIS
  Installs (or reinstalls) the ProRL worker as a Windows service with restart-on-failure recovery actions.

.EXAMPLE
  dotnet publish src\ProRL.Worker -c Release -o C:\prorl\worker
  .\tools\service\install-windows-service.ps1 -BinaryPath C:\prorl\worker\ProRL.Worker.exe `
      -ModelPath C:\prorl\models\tiny -RunDirectory C:\prorl\runs\main

.NOTES
  Run from an elevated PowerShell. The service runs with the service's own folder as working directory
  (C:\Windows\System32), so give absolute paths. Configuration overrides are stored as service environment
  variables (HKLM\SYSTEM\CurrentControlSet\Services\<name>\Environment), which beat appsettings.json.
  Service stop: the host finishes or abandons its in-flight step within Shutdown:GracePeriodSeconds.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string]$BinaryPath,
    [Parameter(Mandatory = $true)][string]$ModelPath,
    [Parameter(Mandatory = $true)][string]$RunDirectory,
    [string]$ServiceName = "prorl-worker",
    [string]$DisplayName = "ProRL worker",
    [int]$GracePeriodSeconds = 60,
    [long]$MaxSteps = 0,
    [System.Management.Automation.PSCredential]$Credential
)

$ErrorActionPreference = "Stop"

if (-not (Test-Path -LiteralPath $BinaryPath)) { throw "BinaryPath '$BinaryPath' does not exist (publish src\ProRL.Worker first)." }
$BinaryPath = (Resolve-Path -LiteralPath $BinaryPath).Path

$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($existing) {
    Write-Host "Removing existing service '$ServiceName'..."
    if ($existing.Status -ne "Stopped") { Stop-Service -Name $ServiceName -Force }
    sc.exe delete $ServiceName | Out-Null
    Start-Sleep -Seconds 2
}

$serviceArgs = @{
    Name           = $ServiceName
    BinaryPathName = "`"$BinaryPath`""
    DisplayName    = $DisplayName
    Description    = "Prolonged reinforcement learning (ProRL) of a language model on ONNX Runtime."
    StartupType    = "Automatic"
}
if ($Credential) { $serviceArgs.Credential = $Credential }
New-Service @serviceArgs | Out-Null

# Recovery: restart after 10 s, 30 s, then every 60 s; reset the failure count after a day without failures.
sc.exe failure $ServiceName reset= 86400 actions= restart/10000/restart/30000/restart/60000 | Out-Null
# Apply the recovery actions also when the worker exits with a non-zero code (e.g. after an unhandled error).
sc.exe failureflag $ServiceName 1 | Out-Null

# Configuration overrides as service environment variables ('__' separates sections).
$environment = @(
    "DOTNET_ENVIRONMENT=Production",
    "Model__Path=$ModelPath",
    "Run__Directory=$RunDirectory",
    "Shutdown__GracePeriodSeconds=$GracePeriodSeconds"
)
if ($MaxSteps -gt 0) { $environment += "Run__MaxSteps=$MaxSteps" }
$key = "HKLM:\SYSTEM\CurrentControlSet\Services\$ServiceName"
New-ItemProperty -Path $key -Name Environment -PropertyType MultiString -Value $environment -Force | Out-Null

# The service control manager waits this long for a stop before giving up on the service; keep it above the grace period.
$control = "HKLM:\SYSTEM\CurrentControlSet\Control"
$currentTimeout = [int](Get-ItemProperty -Path $control -Name WaitToKillServiceTimeout -ErrorAction SilentlyContinue).WaitToKillServiceTimeout
if ($currentTimeout -lt (($GracePeriodSeconds + 30) * 1000)) {
    Write-Warning "WaitToKillServiceTimeout is $currentTimeout ms; at shutdown Windows may kill the worker before its $GracePeriodSeconds s grace period ends."
}

Start-Service -Name $ServiceName
Get-Service -Name $ServiceName | Format-Table -AutoSize Name, Status, StartType
Write-Host "Logs: Event Viewer > Windows Logs > Application (source '$ServiceName'); metrics in $RunDirectory\metrics.jsonl."
