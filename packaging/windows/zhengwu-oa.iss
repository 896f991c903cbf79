; Inno Setup 6 script: 政务协同办公-<version>-setup.exe from the PyInstaller bundle made by
;   python packaging\build.py bundle --target client      (on Windows, in the project's .venv)
;   iscc /DAppVersion=0.1.0 /DServerUrl=https://oa.example.gov.cn packaging\windows\zhengwu-oa.iss
; Per-user install (no administrator rights), a Start-menu entry, the unit's server address
; in client.ini beside the program (from /DServerUrl=, or at install time /SERVER=URL).
; Keys: Windows Credential Manager through keyring's WinVaultKeyring (pywin32-ctypes is locked
; for win32). Profiles live in %LOCALAPPDATA%\zhengwu-oa and survive upgrades; the uninstaller
; removes them only when the user says so.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef ServerUrl
  #define ServerUrl ""
#endif
#define Bundle "..\..\build\bundle\zhengwu-oa"

[Setup]
AppId={{6B3F6C1E-3B1A-4C55-9A57-2C0F0E7A4D21}
AppName=政务协同办公
AppVersion={#AppVersion}
AppPublisher=政务协同办公项目组
DefaultDirName={localappdata}\Programs\zhengwu-oa
DefaultGroupName=政务协同办公
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\build\dist
OutputBaseFilename=政务协同办公-{#AppVersion}-setup
SetupIconFile=..\..\build\stage\icons\zhengwu-oa.ico
UninstallDisplayIcon={app}\oa-client.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "chs"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
Name: "en"; MessagesFile: "compiler:Default.isl"

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\政务协同办公"; Filename: "{app}\oa-client.exe"
Name: "{group}\卸载 政务协同办公"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\oa-client.exe"; Description: "启动 政务协同办公"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: files; Name: "{app}\client.ini"

[Code]
function ServerUrl(): String;
begin
  Result := ExpandConstant('{param:SERVER|{#ServerUrl}}');
end;

procedure CurStepChanged(CurStep: TSetupStep);
var Ini: String;
begin
  if CurStep = ssPostInstall then begin
    Ini := ExpandConstant('{app}\client.ini');
    { an address already there (set by the unit's admin) is kept across upgrades }
    if (ServerUrl() <> '') or not FileExists(Ini) then
      SaveStringToFile(Ini, '[server]' + #13#10 + 'url = ' + ServerUrl() + #13#10, False);
  end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent() then
    if MsgBox('是否同时删除本机的办公数据（加密的本地数据和附件）？' + #13#10 +
              '选“否”保留，重新安装后可继续使用。', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(ExpandConstant('{localappdata}\zhengwu-oa'), True, True, True);
end;
