"""Turn the chaquopy signature packages (PyPI ``chaquopy-stubs-android``, ``chaquopy-stubs-androidx-*``) into
compile-only Java sources for the Kotlin compiler.

Those packages are Python stubs generated from the real android.jar (API 36) and the real AndroidX jars: every public
class with its superclass and interfaces, constructors, methods (parameter and return types), fields and type
parameters. This module writes one Java file per top-level class, method bodies empty, so ``kotlinc`` resolves the app's
calls against the real API: a misspelt method, a wrong argument type or a missing override fails the compile.

What the stubs do not carry, and how it is handled (each choice errs towards a compile error, never a silent pass):
- interface or class: a type is an interface when it has no constructor, no instance field, no static method and
  only interfaces (or ``java.lang.Object``) above it; ``java.lang.Enum[X]`` subclasses become Java enums;
- integral and floating returns are written ``int`` / ``float`` (the stubs say ``int`` / ``float`` for all widths):
  a getter whose setter takes a ``long`` / ``double`` returns that type;
- nullability: a ``X | None`` return or parameter gets ``@androidx.annotation.RecentlyNullable``, the annotation the
  real android.jar carries (Kotlin reports a warning; the app compiles with ``-Werror``).
The Java sources are given to kotlinc as a source root (it reads them for symbols and compiles only the Kotlin).
"""

from __future__ import annotations

import argparse
import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

PRIMITIVES = {"jboolean": "boolean", "jbyte": "byte", "jchar": "char", "jshort": "short", "jint": "int",
              "jlong": "long", "jfloat": "float", "jdouble": "double"}
ARRAYS = {f"JavaArrayJ{name[1:].capitalize()}": java for name, java in PRIMITIVES.items()}
RETURNS = {"bool": "boolean", "int": "int", "float": "float", "str": "String", "None": "void"}
JAVA_KEYWORDS = {"abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
                 "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for",
                 "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native", "new",
                 "package", "private", "protected", "public", "return", "short", "static", "strictfp", "super",
                 "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void", "volatile", "while"}
NULLABLE = "@androidx.annotation.RecentlyNullable "


@dataclass
class Method:
    name: str
    params: list[tuple[str, ast.expr | None]]
    returns: ast.expr | None
    static: bool
    vararg: tuple[str, ast.expr | None] | None = None  # Java's Type... name


@dataclass
class JavaClass:
    package: str
    path: list[str]  # outer .. inner simple names
    bases: list[ast.expr] = field(default_factory=list)
    type_params: list[tuple[str, ast.expr | None]] = field(default_factory=list)
    methods: list[Method] = field(default_factory=list)
    constructors: list[Method] = field(default_factory=list)
    static_fields: list[tuple[str, ast.expr]] = field(default_factory=list)
    instance_fields: list[tuple[str, ast.expr]] = field(default_factory=list)
    typevars: dict[str, tuple[str, ast.expr | None]] = field(default_factory=dict)
    inner: list["JavaClass"] = field(default_factory=list)
    kind: str = "class"

    @property
    def full_name(self) -> str:
        return ".".join([self.package, *self.path])


def _typevar(node: ast.Assign) -> tuple[str, tuple[str, ast.expr | None]] | None:
    """``_Outer__Inner__T = typing.TypeVar('_Outer__Inner__T', bound=X)`` -> (python name, (T, bound))."""
    value = node.value
    if not (isinstance(value, ast.Call) and ast.unparse(value.func) == "typing.TypeVar"):
        return None
    python_name = node.targets[0].id
    bound = next((kw.value for kw in value.keywords if kw.arg == "bound"), None)
    return python_name, (python_name.rsplit("__", 1)[-1], bound)


def _read_class(node: ast.ClassDef, package: str, outer: list[str], typevars: dict) -> JavaClass:
    cls = JavaClass(package, [*outer, node.name], typevars=dict(typevars))
    for base in node.bases:
        if isinstance(base, ast.Subscript) and ast.unparse(base.value) == "typing.Generic":
            args = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
            cls.type_params = [cls.typevars.get(ast.unparse(a), (ast.unparse(a), None)) for a in args]
        else:
            cls.bases.append(base)
    for item in node.body:
        if isinstance(item, ast.Assign):
            found = _typevar(item)
            if found:
                cls.typevars[found[0]] = found[1]
    for item in node.body:
        if isinstance(item, ast.ClassDef):
            cls.inner.append(_read_class(item, package, cls.path, cls.typevars))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            annotation = item.annotation
            if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) == "typing.ClassVar":
                cls.static_fields.append((item.target.id, annotation.slice))
            else:
                cls.instance_fields.append((item.target.id, annotation))
        elif isinstance(item, ast.FunctionDef):
            decorators = {ast.unparse(d) for d in item.decorator_list}
            args = item.args.posonlyargs + item.args.args
            if args and args[0].arg == "self":
                args = args[1:]
            vararg = (item.args.vararg.arg, item.args.vararg.annotation) if item.args.vararg else None
            method = Method(item.name, [(a.arg, a.annotation) for a in args], item.returns, "staticmethod" in decorators,
                            vararg)
            (cls.constructors if item.name == "__init__" else cls.methods).append(method)
    return cls


def read_stubs(stub_root: Path) -> list[JavaClass]:
    """Every top-level class of every ``<wheel>/*-stubs/**/*.pyi`` under ``stub_root`` (one folder per wheel: several
    wheels fill the same package, e.g. lifecycle-common and lifecycle-runtime both write androidx/lifecycle)."""
    classes: dict[str, JavaClass] = {}
    for pyi in sorted(stub_root.glob("*/*-stubs/**/*.pyi")):
        wheel_root = stub_root / pyi.relative_to(stub_root).parts[0]
        top = pyi.relative_to(wheel_root).parts[0].removesuffix("-stubs")
        if top in {"java", "javax"}:
            continue  # the JDK's own classes are on kotlinc's classpath
        inner = pyi.relative_to(wheel_root / f"{top}-stubs").with_suffix("").parts
        package = ".".join([top, *[p for p in inner if p != "__init__"]])
        tree = ast.parse(pyi.read_text(encoding="utf-8"))
        typevars = dict(filter(None, (_typevar(n) for n in tree.body if isinstance(n, ast.Assign))))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                cls = _read_class(node, package, [], typevars)
                classes.setdefault(cls.full_name, cls)
    return list(classes.values())


class Writer:
    """Java source for the classes read by :func:`read_stubs`."""

    def __init__(self, classes: list[JavaClass]):
        self.index: dict[str, JavaClass] = {}
        stack = list(classes)
        while stack:
            cls = stack.pop()
            self.index[cls.full_name] = cls
            stack += cls.inner
        self.classes = classes
        self._interface_cache: dict[str, bool] = {}
        for cls in self.index.values():
            cls.kind = self._kind(cls)

    # ---- names and types
    def resolve(self, dotted: str, cls: JavaClass) -> str | None:
        """A dotted stub name seen inside ``cls`` -> a Java type name, or None when unknown."""
        if dotted.startswith(("java.", "javax.")):
            return dotted
        if dotted in self.index:
            return dotted
        scope = cls.path
        for depth in range(len(scope), -1, -1):  # inner scopes first, then the module
            candidate = ".".join([cls.package, *scope[:depth], dotted])
            if candidate in self.index:
                return candidate
        return None

    def _kind(self, cls: JavaClass) -> str:
        if any(ast.unparse(b).startswith("java.lang.Enum[") for b in cls.bases):
            return "enum"
        return "interface" if self._is_interface(cls) else "class"

    def _is_interface(self, cls: JavaClass) -> bool:
        key = cls.full_name
        if key not in self._interface_cache:
            self._interface_cache[key] = False  # cycles resolve to "class"
            # a class with static methods is a final class without public constructors (Bitmap), not an interface
            answer = not cls.constructors and not cls.instance_fields and not any(m.static for m in cls.methods)
            for base in cls.bases:
                name = ast.unparse(base.value if isinstance(base, ast.Subscript) else base)
                if name == "java.lang.Object":
                    continue
                target = self.resolve(name, cls)
                if target is None or target.startswith(("java.", "javax.")):
                    answer = answer and target in {"java.lang.AutoCloseable", "java.io.Closeable", "java.lang.Runnable",
                                                   "java.lang.Iterable", "java.lang.Comparable", "java.util.EventListener",
                                                   "java.lang.CharSequence", "java.io.Serializable", "java.lang.Cloneable"}
                else:
                    answer = answer and self._is_interface(self.index[target])
            self._interface_cache[key] = answer
        return self._interface_cache[key]

    def type_of(self, node: ast.expr | None, cls: JavaClass, method_vars: set[str], returning: bool = False) -> tuple[str, bool]:
        """(Java type, nullable) of a stub annotation."""
        if node is None:
            return "Object", False
        if isinstance(node, ast.Constant) and node.value is None:
            return "void", False
        if isinstance(node, ast.BinOp):  # a union: X | java.jint | java.lang.Integer | None
            parts = []
            stack = [node]
            while stack:
                item = stack.pop()
                if isinstance(item, ast.BinOp):
                    stack += [item.right, item.left]
                else:
                    parts.append(item)
            nullable = any(isinstance(p, ast.Constant) and p.value is None for p in parts)
            texts = [ast.unparse(p) for p in parts]
            if "java.lang.Object" in texts:
                return "Object", nullable
            for text in texts:
                if text.startswith("java.j") and text[5:] in PRIMITIVES:
                    return PRIMITIVES[text[5:]], False
            if "str" in texts:
                return "String", nullable
            rest = [p for p in parts if not (isinstance(p, ast.Constant) and p.value is None)]
            return self.type_of(rest[0], cls, method_vars)[0], nullable
        text = ast.unparse(node)
        if text in RETURNS:
            return (RETURNS[text] if returning or text == "str" else {"bool": "boolean", "int": "int", "float": "double"}[text]), False
        if isinstance(node, ast.Subscript):
            head = ast.unparse(node.value)
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if head == "java.chaquopy.JavaArray":
                return self.type_of(args[0], cls, method_vars)[0] + "[]", False
            if head in {"typing.Type", "typing.ClassVar"}:
                return self.type_of(args[0], cls, method_vars, returning)
            if head == "typing.Union":
                return self.type_of(args[0], cls, method_vars)
            base = self.type_of(node.value, cls, method_vars)[0]
            if base == "Object":
                return base, False
            rendered = []
            for arg in args:
                arg_text = ast.unparse(arg)
                rendered.append("?" if arg_text == "typing.Any" else self.boxed(self.type_of(arg, cls, method_vars)[0]))
            return f"{base}<{', '.join(rendered)}>", False
        if text.startswith("java.chaquopy."):
            name = text.rsplit(".", 1)[1]
            return (ARRAYS[name] + "[]" if name in ARRAYS else "Object"), False
        if text in cls.typevars:
            return cls.typevars[text][0], False
        resolved = self.resolve(text, cls)
        return (resolved or "Object"), False

    @staticmethod
    def boxed(java_type: str) -> str:
        return {"boolean": "Boolean", "byte": "Byte", "char": "Character", "short": "Short", "int": "Integer",
                "long": "Long", "float": "Float", "double": "Double", "void": "Void"}.get(java_type, java_type)

    # ---- source
    def _type_params(self, params: list[tuple[str, ast.expr | None]], cls: JavaClass) -> str:
        if not params:
            return ""
        rendered = []
        for name, bound in params:
            rendered.append(name + (f" extends {self.type_of(bound, cls, set())[0]}" if bound is not None else ""))
        return "<" + ", ".join(rendered) + "> "

    def _method_vars(self, method: Method, cls: JavaClass) -> list[tuple[str, ast.expr | None]]:
        """Type variables used by a method that are not its class's (the method's own <T>)."""
        class_vars = {name for name, _ in cls.type_params}
        found: dict[str, tuple[str, ast.expr | None]] = {}
        for node in [method.returns, *(a for _, a in method.params)]:
            for sub in ast.walk(node) if node is not None else ():
                text = ast.unparse(sub) if isinstance(sub, (ast.Name, ast.Attribute)) else ""
                if text in cls.typevars and cls.typevars[text][0] not in class_vars:
                    found[cls.typevars[text][0]] = cls.typevars[text]
        return list(found.values())

    def _setter_types(self, cls: JavaClass) -> dict[str, str]:
        """Property -> long/double where the only setter of that property takes one (Paint.setColor has two)."""
        seen: dict[str, set[str]] = {}
        for method in cls.methods:
            if method.name.startswith("set") and len(method.params) == 1:
                seen.setdefault(method.name[3:], set()).add(self.type_of(method.params[0][1], cls, set())[0])
        return {name: types.pop() for name, types in seen.items() if len(types) == 1 and types & {"long", "double"}}

    def _inherited(self, cls: JavaClass, indent: str) -> list[str]:
        """Interface methods a concrete class does not declare (the stubs leave out some overrides, e.g.
        Activity.onPointerCaptureChanged of Window.Callback; a concrete class in the real jar has them all)."""
        declared = {(m.name, len(m.params)) for m in cls.methods}
        lines: list[str] = []
        stack = [(base, cls) for base in cls.bases]
        seen = set()
        while stack:
            base, owner = stack.pop()
            head = base.value if isinstance(base, ast.Subscript) else base
            target = self.resolve(ast.unparse(head), owner)
            if target is None or target not in self.index or target in seen:
                continue
            seen.add(target)
            iface = self.index[target]
            if iface.kind != "interface":
                continue
            args = []
            if isinstance(base, ast.Subscript):
                elts = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
                args = [self.boxed(self.type_of(e, owner, set())[0]) for e in elts]
            substitute = dict(zip((name for name, _ in iface.type_params), args))
            for method in iface.methods:
                if method.static or (method.name, len(method.params)) in declared:
                    continue
                declared.add((method.name, len(method.params)))
                text = self._method(method, iface, indent, {}, concrete=True)
                for name, value in substitute.items():
                    text = re.sub(rf"\b{name}\b", value, text)
                lines.append(text)
            stack += [(b, iface) for b in iface.bases]
        return lines

    def _method(self, method: Method, cls: JavaClass, indent: str, setters: dict[str, str], concrete: bool = False) -> str:
        own_vars = self._method_vars(method, cls)
        returns, nullable = self.type_of(method.returns, cls, set(), returning=True)
        if method.name.startswith(("get", "is")) and not method.params:
            wider = setters.get(method.name[3:] if method.name.startswith("get") else method.name[2:])
            if wider and returns in {"int", "float"}:
                returns = wider
        params = []
        used = set()
        for number, (name, annotation) in enumerate(method.params):
            java_type, param_nullable = self.type_of(annotation, cls, set())
            name = name if name not in JAVA_KEYWORDS and name not in used and name.isidentifier() else f"arg{number}"
            used.add(name)
            params.append(f"{NULLABLE if param_nullable else ''}{java_type} {name}")
        if method.vararg:
            params.append(f"{self.type_of(method.vararg[1], cls, set())[0]}... {method.vararg[0]}_")
        head = f"{indent}public {'static ' if method.static else ''}{self._type_params(own_vars, cls)}" \
               f"{NULLABLE if nullable else ''}{returns} {method.name}({', '.join(params)})"
        if cls.kind == "interface" and not method.static and not concrete:
            return head + ";\n"
        return head + " { throw new RuntimeException(\"compile-only stub\"); }\n"

    def source(self, cls: JavaClass, indent: str = "") -> str:
        """The Java declaration of ``cls`` and its inner classes."""
        static = "static " if len(cls.path) > 1 else ""
        extends, implements = [], []
        for base in cls.bases:
            rendered, _ = self.type_of(base, cls, set())
            if rendered in {"Object", "java.lang.Object"} or rendered.startswith("java.lang.Enum"):
                continue
            target = self.resolve(ast.unparse(base.value if isinstance(base, ast.Subscript) else base), cls)
            is_interface = target is not None and (target.startswith(("java.", "javax.")) and not target.startswith(
                ("java.lang.Thread", "java.lang.Exception", "java.lang.RuntimeException", "java.lang.Throwable",
                 "java.lang.Error", "java.io.InputStream", "java.io.OutputStream", "java.lang.Number",
                 "java.util.AbstractList", "java.util.AbstractMap", "java.util.AbstractCollection", "java.io.IOException",
                 "java.lang.IllegalStateException", "java.lang.IllegalArgumentException", "java.util.EventObject",
                 "java.io.Reader", "java.io.Writer", "java.io.FilterInputStream", "java.io.FilterOutputStream",
                 "java.security.", "java.lang.ClassLoader", "java.util.TimerTask", "java.lang.ref.", "java.nio.",
                 "java.util.concurrent.Abstract", "java.util.concurrent.ThreadPoolExecutor", "java.lang.ReflectiveOperationException",
                 "java.util.concurrent.CancellationException", "java.util.concurrent.TimeoutException",
                 "java.lang.UnsupportedOperationException", "java.lang.Enum", "java.util.HashMap", "java.util.ArrayList",
                 "java.util.Random", "java.util.logging.", "java.net.", "java.lang.LinkageError",
                 "java.util.ConcurrentModificationException", "java.lang.IndexOutOfBoundsException",
                 "java.util.NoSuchElementException", "java.lang.SecurityException", "java.text.", "java.util.Dictionary",
                 "java.util.Hashtable", "java.lang.Record"))
                                                   or target in self.index and self.index[target].kind == "interface")
            (implements if is_interface else extends).append(rendered)
        if cls.kind == "interface":
            keyword_ = "interface"
            extends, implements = extends + implements, []
        elif cls.kind == "enum":
            keyword_ = "enum"
            extends = []
        else:
            keyword_ = "class"
            implements += extends[1:]
            extends = extends[:1]
        header = f"{indent}public {static}{keyword_} {cls.path[-1]}{self._type_params(cls.type_params, cls).rstrip()}"
        if extends:
            header += f" extends {', '.join(extends)}"
        if implements:
            header += f" implements {', '.join(implements)}"
        lines = [header + " {\n"]
        inner_indent = indent + "    "
        if cls.kind == "enum":
            constants = [name for name, annotation in cls.static_fields if self.type_of(annotation, cls, set())[0] == cls.full_name]
            lines.append(inner_indent + ", ".join(constants) + ";\n")
        for name, annotation in cls.static_fields:
            java_type, _ = self.type_of(annotation, cls, set(), returning=True)
            if cls.kind == "enum" and java_type == cls.full_name:
                continue
            # no initializer: kotlinc reads these sources for symbols only, and an invented value would make a
            # constant of it (two constants that share a made-up 0 would then compare equal)
            lines.append(f"{inner_indent}public static final {java_type} {name};\n")
        for name, annotation in cls.instance_fields:
            lines.append(f"{inner_indent}public {self.type_of(annotation, cls, set(), returning=True)[0]} {name};\n")
        if cls.kind == "class":
            for ctor in cls.constructors:
                params = ", ".join(f"{NULLABLE if n else ''}{t} arg{i}" for i, (t, n) in
                                   enumerate(self.type_of(a, cls, set()) for _, a in ctor.params))
                if ctor.vararg:
                    params += (", " if params else "") + f"{self.type_of(ctor.vararg[1], cls, set())[0]}... rest"
                lines.append(f"{inner_indent}public {cls.path[-1]}({params}) {{ throw new RuntimeException(); }}\n")
            if not cls.constructors:
                lines.append(f"{inner_indent}protected {cls.path[-1]}() {{}}\n")
        setters = self._setter_types(cls)
        for method in cls.methods:
            if cls.kind == "enum" and method.name in {"values", "valueOf"}:
                continue
            lines.append(self._method(method, cls, inner_indent, setters))
        if cls.kind == "class":
            lines += self._inherited(cls, inner_indent)
        for inner in cls.inner:
            lines.append(self.source(inner, inner_indent))
        lines.append(indent + "}\n")
        return "".join(lines)

    def write(self, out: Path) -> int:
        """Write every class as ``out/<package path>/<Name>.java``; returns the number of files."""
        for cls in self.classes:
            target = out.joinpath(*cls.package.split("."), cls.path[0] + ".java")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"package {cls.package};\n\n{self.source(cls)}", encoding="utf-8")
        annotation = out / "androidx" / "annotation" / "RecentlyNullable.java"
        if not annotation.exists():
            annotation.parent.mkdir(parents=True, exist_ok=True)
            annotation.write_text("package androidx.annotation;\n\n"
                                  "/** What android.jar marks nullable returns and parameters with (Kotlin warns). */\n"
                                  "public @interface RecentlyNullable {\n}\n", encoding="utf-8")
        return len(self.classes)


def generate(stub_root: Path, out: Path) -> int:
    """Read the signature stubs under ``stub_root`` and write the Java sources to ``out``; returns the class count."""
    return Writer(read_stubs(stub_root)).write(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stub_root", type=Path, help="folder holding one folder per unpacked signature wheel")
    parser.add_argument("out", type=Path, help="where the Java sources go")
    args = parser.parse_args()
    print(f"{generate(args.stub_root, args.out)} classes written to {args.out}")


if __name__ == "__main__":
    main()
