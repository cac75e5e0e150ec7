// The platform-free core: plain Java, no Android dependency, tested on any JVM.
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

dependencies {
    compileOnly(libs.android.json)  // org.json is part of Android; the app gets the platform's copy
    testImplementation(libs.android.json)
    testImplementation(libs.junit)
}

// The golden-parity tests read an `edge export` directory. By default: the app's assets
// (model.tflite + golden.json + golden/*.png as `edge export --android-assets` writes them);
// override with -PedgeExportDir=/path/to/run/export.
tasks.test {
    val exportDir = (findProperty("edgeExportDir") as String?)
        ?: rootProject.file("app/src/main/assets").takeIf { it.resolve("golden.json").isFile }?.path
    if (exportDir != null) systemProperty("edge.export.dir", exportDir)
    testLogging { events("passed", "skipped", "failed"); showStandardStreams = true }
}
