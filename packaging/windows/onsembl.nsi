; Windows installer for Onsembl Desktop (NSIS 3). Built by packaging/build-windows.ps1:
;   makensis /DVERSION=0.1.0 /DVERSION_QUAD=0.1.0.0 /DSRCDIR=dist\onsembl
;            /DOUTFILE=dist\Onsembl_Desktop-0.1.0-setup.exe /DICON=build\packaging\icons\onsembl.ico
;            packaging\windows\onsembl.nsi
; Installs per machine into Program Files, adds a Start-menu entry, optionally puts the install
; folder (onsembl.exe, onsembl-agent.exe) on the system PATH, and registers an uninstaller in
; Settings > Apps. User data (%LOCALAPPDATA%\onsembl-desktop) is never touched.

Unicode true
!include "MUI2.nsh"
!include "LogicLib.nsh"

!ifndef VERSION
  !error "pass /DVERSION=x.y.z"
!endif
!ifndef VERSION_QUAD
  !define VERSION_QUAD "${VERSION}.0"
!endif
!ifndef SRCDIR
  !error "pass /DSRCDIR=path\to\dist\onsembl"
!endif
!ifndef OUTFILE
  !define OUTFILE "Onsembl_Desktop-${VERSION}-setup.exe"
!endif

!define APP "Onsembl Desktop"
!define PUBLISHER "Onsembl"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\OnsemblDesktop"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\onsembl.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; PATH is edited through PowerShell: NSIS strings are too short to hold a long PATH safely.
!define PS 'powershell.exe -NoProfile -ExecutionPolicy Bypass -Command'
!define PATH_ADD "$$d='$INSTDIR'; $$p=[Environment]::GetEnvironmentVariable('Path','Machine'); if (-not (($$p -split ';') -contains $$d)) { [Environment]::SetEnvironmentVariable('Path', ($$p.TrimEnd(';') + ';' + $$d), 'Machine') }"
!define PATH_REMOVE "$$d='$INSTDIR'; $$p=[Environment]::GetEnvironmentVariable('Path','Machine'); [Environment]::SetEnvironmentVariable('Path', (($$p -split ';' | Where-Object { $$_ -and $$_ -ne $$d }) -join ';'), 'Machine')"

Section "${APP}" SecApp
  SectionIn RO
  SetOutPath "$INSTDIR"
  RMDir /r "$INSTDIR\_internal"  ; an older version's libraries
  File "${SRCDIR}\onsembl.exe"
  File "${SRCDIR}\onsembl-agent.exe"
  File /r "${SRCDIR}\_internal"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\onsembl.exe" "" "$INSTDIR\onsembl.exe" 0

  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\onsembl.exe,0"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  SectionGetSize ${SecApp} $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" $0
SectionEnd

Section "Add onsembl and onsembl-agent to PATH" SecPath
  nsExec::ExecToLog '${PS} "${PATH_ADD}"'
  Pop $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "AddedToPath" 1
SectionEnd

LangString DESC_App ${LANG_ENGLISH} "The app and the onsembl-agent wrapper."
LangString DESC_Path ${LANG_ENGLISH} "Lets a terminal run onsembl-agent and onsembl ctl by name."
!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} $(DESC_App)
  !insertmacro MUI_DESCRIPTION_TEXT ${SecPath} $(DESC_Path)
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "Uninstall"
  ReadRegDWORD $0 HKLM "${UNINST_KEY}" "AddedToPath"
  ${If} $0 == 1
    nsExec::ExecToLog '${PS} "${PATH_REMOVE}"'
    Pop $0
  ${EndIf}
  Delete "$SMPROGRAMS\${APP}.lnk"
  ; Only what the installer put there, never the folder's other contents.
  Delete "$INSTDIR\onsembl.exe"
  Delete "$INSTDIR\onsembl-agent.exe"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINST_KEY}"
SectionEnd
