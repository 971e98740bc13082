/*
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package dev.flinkmetrics.skywalking.transport;

import org.apache.flink.annotation.Internal;

/**
 * What a signal is sent to: the gRPC method, the default OTLP/HTTP path, and what the OAP must have
 * enabled to serve it (for the hint when it answers UNIMPLEMENTED or 404).
 */
@Internal
public final class ExportMethod {

    /** Fully qualified gRPC method, {@code package.Service/Method}. */
    final String grpcMethod;

    /** Path of {@code POST} with {@code http/protobuf} when the endpoint names none. */
    public final String httpPath;

    /** What is sent, for messages: "OTLP metrics". */
    final String what;

    /** The OAP setting that serves it, for the hint. */
    final String oapSetting;

    /**
     * A client-streaming gRPC method: the request bytes are a run of length-delimited messages
     * (each one a varint length, then the message), and each goes as a message of its own on one
     * call. False for a unary method, whose request bytes are the one message.
     */
    final boolean streamed;

    /** The Content-Type of a request over HTTP. */
    final String httpContentType;

    /**
     * What to check when the receiver refuses a request as invalid (gRPC INVALID_ARGUMENT, HTTP
     * 400), or null for the general hint.
     */
    final String invalidHint;

    /** A unary method. */
    public ExportMethod(String grpcMethod, String httpPath, String what, String oapSetting) {
        this(grpcMethod, httpPath, what, oapSetting, false, "application/x-protobuf", null);
    }

    private ExportMethod(
            String grpcMethod,
            String httpPath,
            String what,
            String oapSetting,
            boolean streamed,
            String httpContentType,
            String invalidHint) {
        this.grpcMethod = grpcMethod;
        this.httpPath = httpPath;
        this.what = what;
        this.oapSetting = oapSetting;
        this.streamed = streamed;
        this.httpContentType = httpContentType;
        this.invalidHint = invalidHint;
    }

    /**
     * A client-streaming method; see {@link #streamed}. Over OTLP/HTTP the request bytes go to
     * {@code httpPath} as they are, so the caller encodes them for that path.
     */
    public static ExportMethod streamed(
            String grpcMethod, String httpPath, String what, String oapSetting) {
        return new ExportMethod(
                grpcMethod, httpPath, what, oapSetting, true, "application/x-protobuf", null);
    }

    /** This method, with requests over HTTP sent as {@code contentType}. */
    public ExportMethod withHttpContentType(String contentType) {
        return new ExportMethod(
                grpcMethod, httpPath, what, oapSetting, streamed, contentType, invalidHint);
    }

    /** This method, with {@code hint} logged when the receiver refuses a request as invalid. */
    public ExportMethod withInvalidHint(String hint) {
        return new ExportMethod(
                grpcMethod, httpPath, what, oapSetting, streamed, httpContentType, hint);
    }

    @Override
    public String toString() {
        return grpcMethod;
    }
}
