"""Repositories the webhooks engine needs, all offline, from Debian's packages.

A host workspace that links the engine needs only:

    local_repository(name = "webhooks", path = "/path/to/webhooks")
    load("@webhooks//:deps.bzl", "webhooks_deps")
    webhooks_deps()

Repositories the host already declares under the same name are left as they are.
"""

def _shim_repository_impl(ctx):
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    for src, dest in ctx.attr.files.items():
        ctx.symlink(src, dest)

# A repository made of a few files of this one, for the repositories that Bazel 4's own tools
# would otherwise download.
_shim_repository = repository_rule(
    implementation = _shim_repository_impl,
    attrs = {"files": attr.label_keyed_string_dict(allow_files = True)},
    local = True,
)

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def webhooks_deps():
    """Declares the system libraries and the offline shims that Bazel 4.2.3 needs."""
    _maybe(
        _shim_repository,
        name = "rules_cc",
        files = {
            Label("//third_party/shims:rules_cc_defs.bzl"): "cc/defs.bzl",
            Label("//third_party/shims:rules_cc_cc.BUILD"): "cc/BUILD",
            Label("//third_party/shims:empty.BUILD"): "BUILD",
        },
    )
    _maybe(
        _shim_repository,
        name = "rules_java",
        files = {
            Label("//third_party/shims:rules_java_defs.bzl"): "java/defs.bzl",
            Label("//third_party/shims:empty.BUILD"): "java/BUILD",
        },
    )
    _maybe(
        _shim_repository,
        name = "remote_coverage_tools",
        files = {Label("//third_party/shims:remote_coverage_tools.BUILD"): "BUILD"},
    )
    _maybe(
        native.local_repository,
        name = "platforms",
        path = "/usr/share/bazel/platforms",
    )
    _maybe(
        native.new_local_repository,
        name = "com_google_protobuf",
        path = "/usr",
        build_file = str(Label("//third_party:protobuf.BUILD")),
    )
    _maybe(
        native.new_local_repository,
        name = "syslibs",
        path = "/usr",
        build_file = str(Label("//third_party:syslibs.BUILD")),
    )
    # google/api/annotations.proto and http.proto from the npm package google-proto-files,
    # which tools/setup.sh installs into this fixed directory.
    _maybe(
        native.new_local_repository,
        name = "com_google_googleapis",
        path = "/usr/local/share/webhooks-googleapis",
        build_file = str(Label("//third_party:googleapis.BUILD")),
    )
