// Headers nearly every file of the addon includes, compiled once per build (CMakeLists.txt
// target_precompile_headers): parsing <windows.h> and <napi.h> took about 3 s of each file's 5 s.
// Every file still includes what it uses; this list only makes that cheaper.
#pragma once

#include <windows.h>
#include <oleauto.h>

#include <napi.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
