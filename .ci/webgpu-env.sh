# Source before running the webgpu tests on a machine without a GPU: Dawn (npm `webgpu`) on SwiftShader's
# Vulkan ICD from Debian's chromium-common (apt-get install -y libvulkan1 chromium-common).
ICD="${TORCHLET_VK_ICD:-$(dpkg -L chromium-common 2>/dev/null | grep -m1 vk_swiftshader_icd.json)}"
[ -n "$ICD" ] || ICD=/usr/lib/chromium/vk_swiftshader_icd.json
export VK_ICD_FILENAMES="$ICD"
# silences Mesa's device-select layer (XDG_RUNTIME_DIR noise) if mesa-vulkan-drivers is installed
export NODEVICE_SELECT=1
