"""cc_grpc_library: C++ gRPC stubs from a proto_library, with Debian's grpc_cpp_plugin.

    cc_grpc_library(
        name = "foo_cc_grpc",
        srcs = [":foo_proto"],          # one proto_library
        deps = [":foo_cc_proto"],       # its cc_proto_library
    )

generates `foo.grpc.pb.{h,cc}` for every .proto of `srcs` and wraps them in a cc_library
linked with the system gRPC.
"""

def _grpc_codegen_impl(ctx):
    info = ctx.attr.proto[ProtoInfo]
    hdrs = []
    srcs = []
    for src in info.direct_sources:
        base = src.basename[:-len(".proto")]
        hdrs.append(ctx.actions.declare_file(base + ".grpc.pb.h"))
        srcs.append(ctx.actions.declare_file(base + ".grpc.pb.cc"))
    outs = hdrs + srcs

    # Generated files land under the output root plus the repository's own root.
    out_root = ctx.bin_dir.path
    if ctx.label.workspace_root:
        out_root += "/" + ctx.label.workspace_root
    args = ctx.actions.args()
    args.add("--plugin=protoc-gen-grpc=" + ctx.executable._plugin.path)
    args.add("--grpc_out=" + out_root)
    args.add_all(info.transitive_proto_path, format_each = "--proto_path=%s")
    args.add("--proto_path=.")
    for src in info.direct_sources:
        root = info.proto_source_root
        path = src.path
        if root != "." and path.startswith(root + "/"):
            path = path[len(root) + 1:]
        args.add(path)
    ctx.actions.run(
        executable = ctx.executable._protoc,
        arguments = [args],
        inputs = info.transitive_sources,
        tools = [ctx.executable._plugin],
        outputs = outs,
        mnemonic = "GrpcCodegen",
        progress_message = "Generating gRPC stubs for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outs)),
        OutputGroupInfo(hdrs = depset(hdrs), srcs = depset(srcs)),
    ]

_grpc_codegen = rule(
    implementation = _grpc_codegen_impl,
    attrs = {
        "proto": attr.label(mandatory = True, providers = [ProtoInfo]),
        "_protoc": attr.label(
            default = Label("@com_google_protobuf//:protoc"),
            executable = True,
            cfg = "host",
        ),
        "_plugin": attr.label(
            default = Label("@syslibs//:grpc_cpp_plugin"),
            executable = True,
            cfg = "host",
        ),
    },
)

def cc_grpc_library(name, srcs, deps, visibility = None, testonly = None):
    if len(srcs) != 1:
        fail("cc_grpc_library takes exactly one proto_library in srcs")
    _grpc_codegen(name = name + "_codegen", proto = srcs[0], testonly = testonly)
    for group in ["hdrs", "srcs"]:
        native.filegroup(
            name = name + "_" + group,
            srcs = [":" + name + "_codegen"],
            output_group = group,
            testonly = testonly,
        )
    native.cc_library(
        name = name,
        srcs = [":" + name + "_srcs"],
        hdrs = [":" + name + "_hdrs"],
        deps = deps + [Label("@syslibs//:grpc")],
        visibility = visibility,
        testonly = testonly,
    )
