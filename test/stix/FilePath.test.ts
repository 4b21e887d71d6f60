import { describe, expect, it } from "@effect/vitest"
import { isWindowsPath, splitPath } from "../../src/stix/FilePath.js"

describe("splitPath", () => {
  it.each([
    // Windows paths, read as Windows paths (the official connector makes the whole path a file name in ".")
    [
      "C:\\Users\\LENOVO\\Desktop\\Adobe Illustrator\\Set-up.exe",
      "Set-up.exe",
      "C:\\Users\\LENOVO\\Desktop\\Adobe Illustrator"
    ],
    ["C:/Users/x//a.exe", "a.exe", "C:\\Users\\x"],
    ["c:\\a.exe", "a.exe", "c:\\"],
    ["C:\\Users\\.\\a.exe", "a.exe", "C:\\Users"],
    ["C:\\Users\\..\\a.exe", "a.exe", "C:\\Users\\.."],
    ["C:\\Temp\\dir\\", "dir", "C:\\Temp"],
    ["C:a.exe", "a.exe", undefined],
    ["\\\\server\\share\\dir\\a.exe", "a.exe", "\\\\server\\share\\dir"],
    ["\\\\server\\share\\a.exe", "a.exe", "\\\\server\\share\\"],
    ["\\Windows\\a.exe", "a.exe", "\\Windows"],
    ["AppData\\Roaming\\a.exe", "a.exe", "AppData\\Roaming"],
    // POSIX paths, as Python's PurePosixPath reads them
    ["/home//u/./a.exe/", "a.exe", "/home/u"],
    ["/home/john/.cache/x", "x", "/home/john/.cache"],
    ["/a.exe", "a.exe", "/"],
    ["//host/a.exe", "a.exe", "//host"],
    ["///a.exe", "a.exe", "/"],
    ["../a.exe", "a.exe", ".."],
    ["a.exe", "a.exe", undefined],
    ["a b/c d.exe", "c d.exe", "a b"]
  ])("%s → file %s in %s", (path, name, directory) => {
    expect(splitPath(path)).toStrictEqual({ name, directory })
  })

  it.each(["", "/", "C:\\", "C:", ".", "./", "\\\\server\\share\\"])("%j names no file", (path) => {
    expect(splitPath(path)).toBeUndefined()
  })

  it("reads a path as Windows when it has a drive or a backslash", () => {
    expect(isWindowsPath("C:/x")).toBe(true)
    expect(isWindowsPath("dir\\x")).toBe(true)
    expect(isWindowsPath("/usr/bin/x")).toBe(false)
  })
})
